package dev.rabbitrpc.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One call waiting for its reply: the future its caller waits on, registered in the
 * {@link ReplyRouter} under its correlation id until a reply, a failure or its deadline ends it.
 *
 * <p>Cancelling it removes it from the router at once; a reply that arrives later is dropped.
 */
final class PendingCall extends CompletableFuture<Object> {
  /** A call without a reply this long after it was sent (or a quarter of its time) is due a consumer probe. */
  static final long PROBE_AFTER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);
  final String correlationId;
  final MethodDescriptor method;
  /** Where its request went: its cancel notice goes there too; the router fails it if the channel is lost. */
  final ClientTransport.RequestChannel channel;
  final String queue;
  /** When the call ends at the latest: fixed when it was made, shared by all its attempts. */
  final Deadline deadline;
  /** The format its request was sent in. */
  final WireFormat format;
  /**
   * Its server answered that it does not read {@link #format} and did not run it (set before the
   * call completes, by the router): {@link RetryPolicy} may send the call again in JSON.
   */
  volatile boolean formatRefused;
  /**
   * When the request was sent ({@link System#nanoTime()}; in fact registered, just before it is
   * published): what a count of its queue taken later can say about it, and how long a late reply took.
   */
  final long sentAtNanos;
  /** When to ask the broker whether anything consumes {@link #queue}, if no reply came by then. */
  final long probeAtNanos;
  /**
   * Where the application headers of its reply go, for the interceptors of its attempt
   * ({@link ClientCall#replyHeaders()}); null when there are none to read them (then they are not
   * even parsed). Set before the request is published.
   */
  volatile ClientCall.ReplyHeaders replyHeaders;
  /** A streaming call's reader, which its items go to; null for other calls. Set before the request is published. */
  volatile StreamItems stream;

  /** Where a streaming call's items go ({@link ClientStream}); called on the reply consumer's thread. */
  interface StreamItems {
    /** One item, decoded (or the failure to decode it), with the address its server takes credit at. */
    void onItem(long seq, Object value, Throwable failure, String controlAddress);

    /** The end marker's item count (-1 if it had none), just before the call completes. */
    void announced(long count);
  }
  /**
   * 0 until a closing server says it took the request ({@code taken} notice); then until when
   * ({@link System#nanoTime()}) that server may still answer it: no verdict of the consumer probe
   * fails the call before then, since its request is not in the queue but running.
   */
  private volatile long takenUntilNanos;
  /** The calls waiting for replies that this one is registered in: the router's, which this call does not know. */
  private final java.util.concurrent.ConcurrentMap<String, PendingCall> registry;
  private volatile ScheduledFuture<?> timeoutTask;
  /** An async call whose deadline timer is armed by a sweep once it is near ({@link CallDeadlines#arm}). */
  volatile boolean armLater;

  PendingCall(String correlationId, MethodDescriptor method, ClientTransport.RequestChannel channel, String queue, Deadline deadline,
      WireFormat format, java.util.concurrent.ConcurrentMap<String, PendingCall> registry) {
    this.format = format;
    this.correlationId = correlationId;
    this.method = method;
    this.channel = channel;
    this.queue = queue;
    this.deadline = deadline;
    this.sentAtNanos = System.nanoTime();
    this.probeAtNanos = sentAtNanos + Math.min(PROBE_AFTER_NANOS, deadline.remainingNanos() / 4);
    this.registry = registry;
  }

  /** A server took the request and may answer it until {@code untilNanos}. */
  void taken(long untilNanos) {
    takenUntilNanos = untilNanos == 0 ? 1 : untilNanos;
  }

  /** Whether a server said it took the request. */
  boolean wasTaken() {
    return takenUntilNanos != 0;
  }

  /** Whether a server that took the request may still answer it at {@code nowNanos}. */
  boolean heldByServerAt(long nowNanos) {
    long until = takenUntilNanos;
    return until != 0 && until - nowNanos > 0;
  }

  void timeoutTask(ScheduledFuture<?> task) {
    this.timeoutTask = task;
    if (isDone()) {
      task.cancel(false);
    }
  }

  /** Removes this call from the calls waiting for replies and stops its deadline timer. */
  void forget() {
    registry.remove(correlationId, this);
    ScheduledFuture<?> task = timeoutTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  /**
   * Cancels the call: it leaves the router at once, and the servers of its queue are told (best
   * effort) so that a queued request is skipped and a running handler interrupted.
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    forget();
    if (cancelled) {
      // The key its request carried, computed again rather than held by every call in flight.
      channel.publishCancel(queue, correlationId, CancelKeys.keyFor(correlationId));
    }
    return cancelled;
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>(); // dependent stages are plain futures, not calls
  }

  @Override
  public String toString() {
    return "PendingCall[" + method.key + " id=" + correlationId + (isDone() ? " done]" : "]");
  }
}
