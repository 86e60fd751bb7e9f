import java.io.BufferedReader;
import java.io.InputStreamReader;

// Makes one guess, reads the reply, then "thinks" forever: CPU time limit.
public class ThinkForever {
    static volatile long thoughts = 0;

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        System.out.println(500000000);
        System.out.flush();
        in.readLine();
        while (true) thoughts++;
    }
}
