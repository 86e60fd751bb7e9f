public class Spin {
    static volatile long counter = 0;

    public static void main(String[] args) {
        while (true) {
            counter++;
        }
    }
}
