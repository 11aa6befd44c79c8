package dev.rabbitrpc.runtime;

import java.util.concurrent.CompletionStage;

/**
 * Sees every request an exported service runs, after the server has decoded it and checked its
 * deadline and cancellation: it may read the request's headers and arguments, refuse it (throw an
 * {@link dev.rabbitrpc.api.RpcException}, which becomes the reply), or observe the outcome,
 * including the completion of a {@code CompletableFuture} method. Register with
 * {@link RpcClient.Builder#serverInterceptor(ServerInterceptor)}; it applies to every service that
 * client exports.
 *
 * <pre>{@code
 * ServerInterceptor auth = (call, chain) -> {
 *   if (!valid(call.headers().get("authorization"))) {
 *     throw new RpcException(Code.UNAUTHENTICATED, "no valid authorization header");
 *   }
 *   return chain.proceed(call);
 * };
 * }</pre>
 *
 * <p><b>Order:</b> the first registered sees the request first and its outcome last.
 *
 * <p><b>Threads:</b> {@link #intercept} runs on the server's worker thread that delivered the
 * request, and must call {@link Chain#proceed} on that thread: the handler runs inside it, with the
 * request's deadline inherited by nested calls and cancellation able to interrupt it. The outcome
 * stage completes where the handler's outcome does (the worker thread for a sync method, whatever
 * thread completes the future of an async one).
 *
 * <p>Implementations must be thread-safe: a server's workers run requests at once.
 */
@FunctionalInterface
public interface ServerInterceptor {
  /**
   * Handles one request: normally {@code return chain.proceed(call)}. An exception thrown here is
   * the reply: an {@code RpcException} its code, anything else {@code APPLICATION_ERROR}.
   *
   * @return the outcome: the method's result, or the failure the caller gets
   */
  CompletionStage<Object> intercept(ServerCall call, Chain chain);

  /** The rest of the chain: the next interceptor, or the implementation itself. */
  @FunctionalInterface
  interface Chain {
    /** Runs the request on; never throws: the handler's exception completes the returned stage. */
    CompletionStage<Object> proceed(ServerCall call);
  }
}
