package dev.rabbitrpc.benchmarks;

import java.util.concurrent.CompletableFuture;

/**
 * The service rabbit-rpc's peers call: it returns what it gets. The harness serves and calls it on
 * a queue of its own per run. {@link Impl} is stateless and thread-safe.
 */
public interface EchoService {
  /** Returns its argument. */
  Payload echo(Payload payload);

  /** Returns its argument, as a future on the client side (the same method on the wire). */
  CompletableFuture<Payload> echoAsync(Payload payload);

  /** The implementation every rabbit-rpc server in the harness exports. */
  final class Impl implements EchoService {
    @Override
    public Payload echo(Payload payload) {
      return payload;
    }

    @Override
    public CompletableFuture<Payload> echoAsync(Payload payload) {
      return CompletableFuture.completedFuture(payload);
    }
  }
}
