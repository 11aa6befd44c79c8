package dev.rabbitrpc.runtime;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where one server's requests run: its worker threads ({@code rabbit-rpc-worker-<queue>}), as many
 * as its workers setting. At most the prefetch's requests are delivered and unsettled, so the queue
 * of unstarted ones is bounded by it; idle workers time out, so a quiet server holds no threads.
 * With {@link ServerBuilder#runOnDeliveryThread}, requests may also run on the thread that
 * delivered them, when the intake's {@link InlinePolicy} says so.
 *
 * <p>Thread-safe: requests are handed in on amqp-client's consumer threads; {@link #shutdown()}
 * runs once, when the server closes.
 */
final class ServerWorkers {
  private final ThreadPoolExecutor executor;
  /** Requests may also run on the delivering thread ({@link ServerBuilder#runOnDeliveryThread}, {@link InlinePolicy}). */
  final boolean deliveryThread;

  ServerWorkers(String queue, int workers, boolean deliveryThread) {
    this.deliveryThread = deliveryThread;
    this.executor = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        Threads.daemon("rabbit-rpc-worker-" + queue));
    this.executor.allowCoreThreadTimeOut(true);
  }

  /**
   * Runs {@code request} on a worker.
   *
   * @return false if the server's workers are shut down (closed, after the grace): it did not run
   */
  boolean run(Runnable request) {
    try {
      executor.execute(request);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Takes no more requests; its threads end with the requests still running. */
  void shutdown() {
    executor.shutdown();
  }
}
