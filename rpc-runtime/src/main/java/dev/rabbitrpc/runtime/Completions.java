package dev.rabbitrpc.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a call's future completes, whatever ends it (reply, failure, deadline, close): on
 * the application's executor for async methods if it set one ({@link RpcClient.Builder#executor}),
 * else on the completing thread. An executor that refuses the task (shut down, saturated) does not
 * leave the future pending: it completes on the completing thread instead, with one warning.
 *
 * <p>Thread-safe.
 */
final class Completions {
  private static final Logger log = LoggerFactory.getLogger(Completions.class);

  /** May be null: complete on the completing thread. */
  private final Executor asyncExecutor;
  /** The application's executor refused a completion once; warned about once. */
  private volatile boolean executorRejected;

  Completions(Executor asyncExecutor) {
    this.asyncExecutor = asyncExecutor;
  }

  /** The application's executor if it set one, else {@code fallback}: where a stream's subscriber is signalled. */
  Executor executorOr(Executor fallback) {
    return asyncExecutor != null ? asyncExecutor : fallback;
  }

  void complete(CompletableFuture<Object> future, MethodDescriptor method, Object value, Throwable failure) {
    if (method.async && asyncExecutor != null) {
      try {
        asyncExecutor.execute(() -> completeNow(future, value, failure));
        return;
      } catch (RuntimeException rejected) {
        if (!executorRejected) {
          executorRejected = true;
          log.warn("the executor of RpcClient.Builder.executor refused to complete a call ({}); completing it on {}",
              rejected.toString(), Thread.currentThread().getName());
        }
      }
    }
    completeNow(future, value, failure);
  }

  private static void completeNow(CompletableFuture<Object> future, Object value, Throwable failure) {
    if (failure == null) {
      future.complete(value);
    } else {
      future.completeExceptionally(failure);
    }
  }
}
