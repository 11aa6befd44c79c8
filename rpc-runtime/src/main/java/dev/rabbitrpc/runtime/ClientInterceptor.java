package dev.rabbitrpc.runtime;

import java.util.concurrent.CompletionStage;

/**
 * Sees every attempt of every call a client makes, sync and async alike: it may read the call,
 * add headers ({@link ClientCall#withHeader}), fail it, or observe its outcome. Register with
 * {@link RpcClient.Builder#interceptor(ClientInterceptor)}; it applies to every proxy of that client.
 *
 * <pre>{@code
 * ClientInterceptor auth = (call, chain) -> chain.proceed(call.withHeader("authorization", token()));
 * }</pre>
 *
 * <p><b>Order:</b> interceptors run in the order they were registered: the first registered sees
 * the call first and its outcome last (as OkHttp's application interceptors; gRPC's order is the
 * reverse).
 *
 * <p><b>Attempts:</b> an {@code @Idempotent} call retried after {@code UNAVAILABLE} goes through
 * the chain once per attempt ({@link ClientCall#attempt()} counts them); the retry loop is outside
 * the chain.
 *
 * <p><b>Threads:</b> {@link #intercept} runs on the thread that sends the attempt: the calling
 * thread, or for an async call that waited for the connection or a retry, a thread of the client's
 * own (the connecting thread, or an {@code rpc-client-work} thread; never the timer). The
 * returned stage completes on the client's reply thread (or the executor of
 * {@link RpcClient.Builder#executor} for async methods). Neither may block: a blocked reply thread
 * delays every reply of its channel.
 *
 * <p>Implementations must be thread-safe: one instance serves every call of the client.
 */
@FunctionalInterface
public interface ClientInterceptor {
  /**
   * Handles one attempt: normally {@code return chain.proceed(call)}, possibly with a changed call
   * or a stage derived from the outcome. An exception thrown here fails the call with it.
   *
   * @return the attempt's outcome: the method's result, or the failure the caller gets
   */
  CompletionStage<Object> intercept(ClientCall call, Chain chain);

  /** The rest of the chain: the next interceptor, or the send itself. */
  @FunctionalInterface
  interface Chain {
    /** Sends the attempt on; never throws: every failure completes the returned stage. */
    CompletionStage<Object> proceed(ClientCall call);
  }
}
