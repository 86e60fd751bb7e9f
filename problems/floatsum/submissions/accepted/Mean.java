import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

// Double.toString: "2.3333333333333335", "1.5E-6", "9.999999996666666E8" (E notation).
public class Mean {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(in.readLine().trim());
        StringTokenizer st = new StringTokenizer(in.readLine());
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Double.parseDouble(st.nextToken());
        System.out.println(sum / n);
    }
}
