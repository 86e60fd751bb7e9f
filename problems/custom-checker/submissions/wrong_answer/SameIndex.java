import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.HashMap;
import java.util.StringTokenizer;

// Inserts a_j into the map before looking up t - a_j, so it can pair an element with itself
// (sample: a_1 = 5, t = 10 gives "1 1").
public class SameIndex {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringTokenizer st = new StringTokenizer(in.readLine());
        int n = Integer.parseInt(st.nextToken());
        long t = Long.parseLong(st.nextToken());
        st = new StringTokenizer(in.readLine());
        HashMap<Long, Integer> seen = new HashMap<>();
        for (int j = 1; j <= n; j++) {
            long x = Long.parseLong(st.nextToken());
            seen.putIfAbsent(x, j);
            Integer i = seen.get(t - x);
            if (i != null) {
                System.out.println(i + " " + j);
                return;
            }
        }
    }
}
