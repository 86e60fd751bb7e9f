// Start threads until the JVM cannot; they all sleep forever. Defence: the task limit
// (RLIMIT_NPROC on the sandbox uid, count-and-kill), the wall limit, and the tree sweep.
public class ThreadBomb {
    public static void main(String[] args) {
        int n = 0;
        try {
            while (true) {
                Thread t = new Thread(() -> {
                    try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { }
                });
                t.start();
                n++;
            }
        } finally {
            System.out.println("started " + n);
        }
    }
}
