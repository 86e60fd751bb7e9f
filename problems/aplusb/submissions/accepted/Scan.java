import java.util.Scanner;

// Scanner + long: slower to start than BufferedReader but well within 1 s.
public class Scan {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        long a = sc.nextLong(), b = sc.nextLong();
        System.out.println(a + b);
    }
}
