import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;

public class Binary {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PrintWriter out = new PrintWriter(System.out);
        int lo = 1, hi = 1_000_000_000;
        while (true) {
            int mid = lo + (hi - lo) / 2;
            out.println(mid);
            out.flush();
            String reply = in.readLine();
            if (reply == null || reply.equals("correct")) return;
            if (reply.equals("lower")) hi = mid - 1;
            else lo = mid + 1;
        }
    }
}
