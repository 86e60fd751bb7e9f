import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Arrays;
import java.util.StringTokenizer;

// Sorts positions by value and walks two pointers: usually a different pair than a hash scan.
public class TwoPointers {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringTokenizer st = new StringTokenizer(in.readLine());
        int n = Integer.parseInt(st.nextToken());
        long t = Long.parseLong(st.nextToken());
        st = new StringTokenizer(in.readLine());
        long[] a = new long[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            a[i] = Long.parseLong(st.nextToken());
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(a[x], a[y]));
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            long s = a[order[lo]] + a[order[hi]];
            if (s == t) {
                System.out.println((order[lo] + 1) + " " + (order[hi] + 1));
                return;
            }
            if (s < t) lo++; else hi--;
        }
        System.exit(1);
    }
}
