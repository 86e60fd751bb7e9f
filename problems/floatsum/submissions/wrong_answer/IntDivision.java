import java.util.Scanner;

// Integer arithmetic: reads the values as doubles but divides a rounded long sum by n.
public class IntDivision {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int n = sc.nextInt();
        long sum = 0;
        for (int i = 0; i < n; i++) sum += Math.round(Double.parseDouble(sc.next()));
        System.out.println(sum / n);
    }
}
