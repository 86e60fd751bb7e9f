import java.io.BufferedReader;
import java.io.InputStreamReader;

public class ThrowAfterCorrect {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int lo = 1, hi = 1_000_000_000;
        while (true) {
            int mid = lo + (hi - lo) / 2;
            System.out.println(mid);
            System.out.flush();
            String reply = in.readLine();
            if (reply == null) return;
            if (reply.equals("correct")) throw new IllegalStateException("found it, now crash");
            if (reply.equals("lower")) hi = mid - 1;
            else lo = mid + 1;
        }
    }
}
