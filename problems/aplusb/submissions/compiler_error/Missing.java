public class Missing {
    public static void main(String[] args) {
        long a = 1, b = 2;
        System.out.println(a + b)
    }
}
