package dev.rabbitrpc.benchmarks;

import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.CompletableFuture;

/**
 * A service nobody serves: its queue exists (declared by the harness) but has no consumer, so
 * calls stay in flight until their deadline. Used to measure the heap each in-flight call holds.
 */
@RpcService(queue = "rabbit-rpc-bench.parked")
interface ParkedService {
  CompletableFuture<Payload> echoAsync(Payload payload);
}
