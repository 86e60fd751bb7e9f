import java.util.ArrayList;
import java.util.List;

// Allocates 16 MiB arrays in a loop and keeps every reference: heap exhaustion.
public class Hog {
    public static void main(String[] args) {
        List<long[]> keep = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            long[] block = new long[2 << 20]; // 16 MiB
            java.util.Arrays.fill(block, i + 1);
            keep.add(block);
        }
        long sum = 0;
        for (long[] b : keep) sum += b[3];
        System.out.println(sum);
    }
}
