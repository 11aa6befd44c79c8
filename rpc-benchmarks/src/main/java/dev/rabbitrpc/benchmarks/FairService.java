package dev.rabbitrpc.benchmarks;

/**
 * The service of the fairness scenario ({@link Fairness}): a call is instant, or takes
 * {@link #SLOW_MILLIS} ms when {@code slow}; the reply names the server process that ran it, so the
 * harness sees how the slow calls spread over the servers.
 */
public interface FairService {
  /** How long a slow call's handler takes. */
  long SLOW_MILLIS = 50;

  /** Returns the id of the server that ran the call, after {@link #SLOW_MILLIS} ms if {@code slow}. */
  String work(boolean slow);

  /** The implementation the fairness servers export; thread-safe. */
  final class Impl implements FairService {
    private final String id;

    Impl(String id) {
      this.id = id;
    }

    @Override
    public String work(boolean slow) {
      if (slow) {
        pause();
      }
      return id;
    }
  }

  /** The slow handler's work: 50 ms of waiting, as an I/O-bound handler would. */
  static void pause() {
    try {
      Thread.sleep(SLOW_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
