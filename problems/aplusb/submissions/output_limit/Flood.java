import java.io.BufferedOutputStream;
import java.io.PrintStream;

public class Flood {
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false);
        String line = "flood flood flood flood flood flood flood flood flood flood\n";
        while (!out.checkError()) {
            out.print(line);
        }
        // The judge closed the pipe: still an output-limit case, never a clean exit.
        System.exit(3);
    }
}
