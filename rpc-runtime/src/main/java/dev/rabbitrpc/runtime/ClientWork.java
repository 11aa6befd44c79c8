package dev.rabbitrpc.runtime;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The client's small worker pool ({@code rpc-client-work} daemon threads): runs what a timer task
 * decided but must not do on the timer thread itself — an attempt that publishes, connects or runs
 * the client interceptors (a retry after its back-off, a CBOR call sent again in JSON, the deadline
 * of an intercepted call, whose outcome the interceptors observe). So a blocked interceptor or a
 * slow connect delays its own call only, never another call's deadline.
 *
 * <p>Threads are made on demand and end after a minute idle; there is no queue, so a task never
 * waits behind a blocked one. The client owns the pool and shuts it down when it closes.
 *
 * <p>Thread-safe.
 */
final class ClientWork {
  private final ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
      new SynchronousQueue<>(), Threads.daemon("rpc-client-work"));

  /**
   * Runs {@code task} on a worker now.
   *
   * @throws java.util.concurrent.RejectedExecutionException once the client shut the pool down
   */
  void execute(Runnable task) {
    pool.execute(task);
  }

  /** Stops taking tasks; those running finish (a call they serve was already failed by the close). */
  void shutdown() {
    pool.shutdown();
  }
}
