import java.util.Scanner;

// Parses longs, then narrows to int: wrong once the sum leaves 32 bits.
public class IntCast {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        long a = sc.nextLong(), b = sc.nextLong();
        int s = (int) (a + b);
        System.out.println(s);
    }
}
