package dev.rabbitrpc.benchmarks;

import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.CompletableFuture;

/**
 * The service rabbit-rpc's peers call: it returns what it gets.
 *
 * <p>The queue name is fixed because the runtime takes it from this annotation; concurrent runs
 * of the harness share it harmlessly, since every server behind it is the same echo.
 */
@RpcService(queue = "rabbit-rpc-bench.echo")
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
