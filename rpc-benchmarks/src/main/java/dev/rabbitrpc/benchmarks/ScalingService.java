package dev.rabbitrpc.benchmarks;

import java.util.concurrent.CompletableFuture;

/**
 * The service of the scaling scenarios ({@link Scaling}): a call asks for {@code millis} ms of
 * handler time (0: instant), which its server multiplies by its own slowdown (1, or e.g. 10 for
 * the slow server of the fair-dispatch scenario), waits out as an I/O-bound handler would, and
 * answers with the server's id, so that the harness sees which server ran each call.
 */
public interface ScalingService {
  /** Waits {@code millis} x the server's slowdown, then returns the id of the server that ran the call. */
  CompletableFuture<String> work(int millis);

  /** The same service spread over 2 queues, {@code <queue>.0} and {@code <queue>.1}, for the sharded rows. */
  @dev.rabbitrpc.api.RpcService(shards = 2)
  interface TwoShards {
    CompletableFuture<String> work(int millis);
  }

  /** The same service spread over 4 queues, for the sharded rows. */
  @dev.rabbitrpc.api.RpcService(shards = 4)
  interface FourShards {
    CompletableFuture<String> work(int millis);
  }

  /** The implementation the scaling servers export; thread-safe. */
  final class Impl implements ScalingService, TwoShards, FourShards {
    private final String id;
    private final int slowdown;

    Impl(String id, int slowdown) {
      this.id = id;
      this.slowdown = slowdown;
    }

    @Override
    public CompletableFuture<String> work(int millis) {
      if (millis > 0) {
        try {
          Thread.sleep((long) millis * slowdown);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return CompletableFuture.completedFuture(id);
    }
  }
}
