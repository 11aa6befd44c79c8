package dev.rabbitrpc.benchmarks;

import java.util.concurrent.CompletableFuture;

/**
 * A service nobody serves: its queue (declared by the harness, with a name of its own per run) has a consumer that takes
 * every request and never answers, so calls stay in flight until their deadline. Used to measure the heap each in-flight call holds.
 */
interface ParkedService {
  CompletableFuture<Payload> echoAsync(Payload payload);
}
