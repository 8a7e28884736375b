import java.util.HashMap;
import java.util.Random;

/**
 * Whether this machine's cores scale for the kind of work vocab's tasks do (strings counted in a HashMap): each
 * thread does the same fixed work, so on N free cores N threads should take the time one takes alone.
 * {@code taskset -c 0 java bench/ThreadScaling.java 1; taskset -c 0-1 java bench/ThreadScaling.java 2}
 */
public class ThreadScaling {
  static long count(int seed) {
    Random random = new Random(seed);
    long distinct = 0;
    for (int rep = 0; rep < 6; rep++) {
      HashMap<String, long[]> counts = new HashMap<>();
      for (int i = 0; i < 2_000_000; i++) {
        counts.computeIfAbsent(Integer.toString(random.nextInt(400_000), 36) + "가", k -> new long[1])[0]++;
      }
      distinct += counts.size();
    }
    return distinct;
  }

  public static void main(String[] args) throws InterruptedException {
    int threads = Integer.parseInt(args[0]);
    count(1); // compiled before the clock starts
    long started = System.nanoTime();
    Thread[] workers = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      int seed = i + 7;
      workers[i] = new Thread(() -> count(seed));
      workers[i].start();
    }
    for (Thread t : workers) t.join();
    System.out.printf("%d threads: %.2f s%n", threads, (System.nanoTime() - started) / 1e9);
  }
}
