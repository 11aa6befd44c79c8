package dev.rabbitrpc.benchmarks;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A closed-loop load of asynchronous calls: {@code inFlight} calls at all times, each completion
 * starting the next, for a warm-up and then a measured window of fixed length. A call counts when it
 * completes inside the window; calls/s is that count over the window, so runs of different clients
 * in different JVMs over the same window add up. The reply names the server that ran the call,
 * counted per server with its latencies.
 *
 * <p>Not thread-safe: one {@link #run} at a time per instance; the completions it records arrive on
 * the client's threads.
 */
final class ClosedLoop {
  private static final long CALL_TIMEOUT_SECONDS = 60;

  /** The outcome: the latencies of the calls completed in the window, per server. */
  record Result(Duration window, Map<String, long[]> latenciesByServer) {
    /** Every server's latencies together. */
    long[] latencies() {
      return latenciesByServer.values().stream().flatMapToLong(Arrays::stream).toArray();
    }

    int calls() {
      return latenciesByServer.values().stream().mapToInt(a -> a.length).sum();
    }

    double callsPerSecond() {
      return calls() * 1e9 / window.toNanos();
    }

    Stats stats() {
      return Stats.of(latencies(), window.toNanos(), null);
    }
  }

  private final Map<String, long[]> latencies = new TreeMap<>();
  private final Map<String, Integer> counts = new TreeMap<>();
  private final Runnable atWindowStart;
  private final Runnable atWindowEnd;

  ClosedLoop() {
    this(() -> { }, () -> { });
  }

  /** A loop that runs {@code atWindowStart} and {@code atWindowEnd} on its thread as the measured window opens and closes. */
  ClosedLoop(Runnable atWindowStart, Runnable atWindowEnd) {
    this.atWindowStart = atWindowStart;
    this.atWindowEnd = atWindowEnd;
  }

  /** Runs the load: {@code call} starts one call, whose future completes with the id of the server that ran it. */
  Result run(Supplier<CompletableFuture<String>> call, int inFlight, Duration warmUp, Duration window)
      throws Exception {
    Semaphore permits = new Semaphore(inFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long measureFrom = System.nanoTime() + warmUp.toNanos();
    long end = measureFrom + window.toNanos();
    boolean opened = false;
    while (System.nanoTime() - end < 0 && failure.get() == null) {
      if (!opened && System.nanoTime() - measureFrom >= 0) {
        opened = true;
        atWindowStart.run();
      }
      if (!permits.tryAcquire(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new TimeoutException("no call completed within " + CALL_TIMEOUT_SECONDS + " s");
      }
      long start = System.nanoTime();
      call.get().whenComplete((server, error) -> {
        long done = System.nanoTime();
        if (error != null) {
          failure.compareAndSet(null, error);
        } else if (done - measureFrom >= 0 && done - end < 0) {
          record(server, done - start);
        }
        permits.release();
      });
    }
    if (!opened) {
      atWindowStart.run();
    }
    atWindowEnd.run();
    if (!permits.tryAcquire(inFlight, CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new TimeoutException("calls still in flight " + CALL_TIMEOUT_SECONDS + " s after the window");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed", failure.get());
    }
    synchronized (this) {
      Map<String, long[]> byServer = new TreeMap<>();
      latencies.forEach((server, values) -> byServer.put(server, Arrays.copyOf(values, counts.get(server))));
      latencies.clear();
      counts.clear();
      return new Result(window, byServer);
    }
  }

  private synchronized void record(String server, long nanos) {
    int n = counts.getOrDefault(server, 0);
    long[] values = latencies.computeIfAbsent(server, s -> new long[1024]);
    if (n == values.length) {
      values = Arrays.copyOf(values, n * 2);
      latencies.put(server, values);
    }
    values[n] = nanos;
    counts.put(server, n + 1);
  }
}
