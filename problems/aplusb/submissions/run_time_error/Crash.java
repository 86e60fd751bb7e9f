public class Crash {
    public static void main(String[] args) {
        int[] values = new int[2];
        System.out.println(values[args.length + 5]); // ArrayIndexOutOfBoundsException
    }
}
