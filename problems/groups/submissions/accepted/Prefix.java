// @EXPECTED_SCORE@: 100
import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Prefix {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        in.readLine();
        String s = in.readLine().trim();
        long[] seen = {1, 0, 0};
        long total = 0;
        int prefix = 0;
        for (int i = 0; i < s.length(); i++) {
            prefix = (prefix + s.charAt(i) - '0') % 3;
            total += seen[prefix]++;
        }
        System.out.println(total);
    }
}
