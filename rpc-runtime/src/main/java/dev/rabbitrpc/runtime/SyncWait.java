package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a sync caller waits for its call's outcome ({@link CallEngine}): bounded by the deadline, then
 * the call is expired and its outcome (as the interceptors leave it) returned or thrown.
 *
 * <p>Stateless; runs on the calling thread.
 */
final class SyncWait {
  private SyncWait() {}

  /**
   * The wait of a sync call, bounded by its deadline; at the deadline {@code expire} ends the call
   * (the interceptors observe that outcome and may change it), and the call's outcome is returned.
   */
  static Object await(CompletableFuture<Object> call, MethodDescriptor method, Deadline deadline,
      Runnable expire) throws Throwable {
    try {
      return call.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      expire.run();
      try {
        return call.getNow(null);
      } catch (CompletionException failed) {
        throw failed.getCause();
      } catch (java.util.concurrent.CancellationException cancelled) {
        throw new RpcException(Code.CANCELLED, method.key + ": cancelled", cancelled);
      }
    } catch (InterruptedException e) {
      if (!method.oneWay) { // a one-way request's confirm is the broker's: left to come
        call.cancel(true);
      }
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, method.key + (method.oneWay
          ? ": interrupted while waiting for the broker's confirm" : ": interrupted while waiting for the reply"), e);
    }
  }

}
