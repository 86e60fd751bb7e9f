// Guesses in words: the interactor rejects a malformed guess.
public class Words {
    public static void main(String[] args) {
        System.out.println("five hundred million");
        System.out.flush();
    }
}
