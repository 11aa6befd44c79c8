package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server's side of one streaming call (docs/PROTOCOL.md, "Streaming replies"): takes the items
 * of what the handler returned — a {@code Stream<T>} pulled on the worker, a {@code Flow.Publisher<T>}
 * subscribed to and asked for as many as the caller granted — and publishes each through the
 * request's {@link ReplySink}, never more than the caller's credit: the window it sent
 * with the request, plus what it granted since. Its outcome ({@link #run}) is the item count, or
 * how it failed; the dispatcher's one reply path then sends the end marker.
 *
 * <p>Stops, typed, when the caller cancels (a control message, or the queue's cancel notice
 * interrupting the worker), when the deadline passes, when it waits for credit longer than the
 * idle timeout (the caller stopped reading, or is gone), or when an item cannot be published.
 *
 * <p>Threading: {@link #run} on the worker (a publisher's items on whatever thread it signals on);
 * {@link #grant} and {@link #cancel} on the server's control consumer. State is guarded by this.
 */
final class StreamOut {
  private final MethodDescriptor method;
  private final ObjectMapper mapper;
  private final ReplySink sink;
  private final MessageSizeLimit limit;
  private final Deadline deadline;
  private final long idleNanos;
  /** The request's cancel key: only a control message with it steers this stream (null: the request had none). */
  final Object key;
  private long credit;
  private long sent;
  private boolean cancelled;
  /** The worker while it is in the handler's code (pulling the next item), interruptible by a cancel. */
  private Thread pulling;
  /** A publisher's subscription, once it gave one. */
  private Flow.Subscription subscription;
  private final CompletableFuture<Object> done = new CompletableFuture<>();

  StreamOut(MethodDescriptor method, ObjectMapper mapper, ReplySink sink, MessageSizeLimit limit,
      Deadline deadline, int window, long idleMillis, Object key) {
    this.method = method;
    this.mapper = mapper;
    this.sink = sink;
    this.limit = limit;
    this.deadline = deadline;
    this.credit = Math.max(1, window);
    long idle = idleMillis > 0 ? TimeUnit.MILLISECONDS.toNanos(idleMillis) : method.idleNanos;
    this.idleNanos = idle > 0 ? idle : TimeUnit.SECONDS.toNanos(30);
    this.key = key;
  }

  /**
   * Streams what the handler returned; the future completes with the item count once the last was
   * published (at once for a {@code Stream}, which runs here), or fails with why it stopped.
   */
  CompletableFuture<Object> run(Object returned) {
    if (returned == null) {
      return CompletableFuture.failedFuture(new RpcException(Code.INTERNAL, method.wireName
          + " returned null instead of a " + (method.shape == CallShape.STREAM ? "Stream" : "Flow.Publisher")));
    }
    if (returned instanceof Flow.Publisher) {
      subscribeTo((Flow.Publisher<?>) returned);
      return done;
    }
    try (Stream<?> items = (Stream<?>) returned) {
      pull(items.iterator());
      return CompletableFuture.completedFuture(sent());
    } catch (Throwable e) {
      synchronized (this) {
        if (cancelled || e instanceof InterruptedException) {
          // Whatever the handler's code made of the interrupt, the stream stopped because the caller gave it up.
          return CompletableFuture.failedFuture(new RpcException(Code.CANCELLED, method.wireName
              + ": the caller cancelled the stream after " + sent + " items"));
        }
      }
      return CompletableFuture.failedFuture(e);
    }
  }

  private void pull(Iterator<?> items) throws IOException, InterruptedException {
    while (true) {
      Object item;
      synchronized (this) {
        checkGoing();
        pulling = Thread.currentThread();
      }
      try {
        if (!items.hasNext()) {
          return;
        }
        item = items.next();
      } finally {
        synchronized (this) {
          pulling = null;
          if (cancelled) {
            Thread.interrupted(); // a cancel's interrupt is for the handler's code, not for the worker's next request
          }
        }
      }
      awaitCredit();
      publish(item);
    }
  }

  /** Waits until the caller granted credit for one more item, within the deadline and the idle timeout. */
  private synchronized void awaitCredit() throws InterruptedException {
    long idleEnds = System.nanoTime() + idleNanos;
    while (credit <= 0) {
      checkGoing();
      long wait = Math.min(idleEnds - System.nanoTime(), deadline == null ? Long.MAX_VALUE : deadline.remainingNanos());
      if (idleEnds - System.nanoTime() <= 0) {
        throw RpcException.deadlineExceeded(method.wireName + ": the caller asked for no stream item for "
            + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms (its idle timeout) after " + sent + " items",
            RpcException.DeadlineCause.STREAM_IDLE);
      }
      if (wait > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, wait);
      }
    }
    checkGoing();
  }

  /** Throws why the stream must stop now, if it must. */
  private void checkGoing() {
    if (cancelled) {
      throw new RpcException(Code.CANCELLED, method.wireName + ": the caller cancelled the stream after " + sent + " items");
    }
    if (deadline != null && deadline.isExpired()) {
      throw new RpcException(Code.DEADLINE_EXCEEDED, method.wireName + ": the stream's deadline passed after "
          + sent + " items");
    }
  }

  private void publish(Object item) throws IOException {
    byte[] body = WireBody.encodeResult(mapper, method, item);
    if (body.length > limit.bytes()) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED, "item " + sent + " of " + method.wireName + " has " + body.length
          + " bytes, more than the server's limit of " + limit.bytes() + " (" + limit.source() + ")");
    }
    long seq;
    synchronized (this) {
      seq = sent;
      credit--;
    }
    sink.item(seq, body);
    synchronized (this) {
      sent++;
    }
  }

  // ---- a publisher

  private void subscribeTo(Flow.Publisher<?> publisher) {
    if (deadline != null) {
      done.orTimeout(Math.max(1, deadline.remainingMillisCeil()), TimeUnit.MILLISECONDS);
    }
    done.whenComplete((count, failure) -> {
      Flow.Subscription current;
      synchronized (this) {
        current = subscription;
      }
      if (failure != null && current != null) {
        current.cancel(); // a deadline, a cancel, an item that could not be published: the publisher stops
      }
    });
    publisher.subscribe(new Flow.Subscriber<Object>() {
      @Override
      public void onSubscribe(Flow.Subscription given) {
        long initial;
        synchronized (StreamOut.this) {
          if (subscription != null) {
            given.cancel(); // §2.5: one subscription only
            return;
          }
          subscription = given;
          initial = credit;
        }
        if (done.isDone()) {
          given.cancel();
        } else {
          given.request(initial);
        }
        scheduleIdleCheck(sentAndCredit());
      }

      @Override
      public void onNext(Object item) {
        if (done.isDone()) {
          return;
        }
        try {
          synchronized (StreamOut.this) {
            if (credit <= 0) {
              throw new RpcException(Code.INTERNAL, method.wireName + ": the publisher sent more items than requested (§1.1)");
            }
          }
          publish(item);
        } catch (IOException | RuntimeException e) {
          done.completeExceptionally(e);
        }
      }

      @Override
      public void onError(Throwable failure) {
        done.completeExceptionally(failure == null ? new NullPointerException("onError(null)") : failure);
      }

      @Override
      public void onComplete() {
        synchronized (StreamOut.this) {
          done.complete(sent);
        }
      }
    });
  }

  private synchronized long sentAndCredit() {
    return sent + credit;
  }

  /** A publisher's idle timeout: if the caller granted nothing more within it while the stream waited, it ends. */
  private void scheduleIdleCheck(long grantedBefore) {
    CompletableFuture.delayedExecutor(idleNanos, TimeUnit.NANOSECONDS).execute(() -> {
      if (done.isDone()) {
        return;
      }
      long granted = sentAndCredit();
      boolean starved;
      synchronized (this) {
        starved = granted == grantedBefore && credit <= 0;
      }
      if (starved) {
        done.completeExceptionally(RpcException.deadlineExceeded(method.wireName + ": the caller asked for no stream item"
            + " for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms (its idle timeout) after " + sent + " items",
            RpcException.DeadlineCause.STREAM_IDLE));
      } else {
        scheduleIdleCheck(granted);
      }
    });
  }

  // ---- from the caller (the control consumer's thread)

  /** The caller took items: {@code items} more may be sent. */
  void grant(long items) {
    Flow.Subscription current;
    synchronized (this) {
      credit = credit + items < 0 ? Long.MAX_VALUE : credit + items;
      notifyAll();
      current = subscription;
    }
    if (current != null && !done.isDone()) {
      current.request(items);
    }
  }

  /** The caller gave the stream up: the producer stops at its next item (its code is interrupted if it is in it). */
  void cancel() {
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      notifyAll();
      if (pulling != null) {
        pulling.interrupt();
      }
    }
    done.completeExceptionally(new RpcException(Code.CANCELLED, method.wireName + ": the caller cancelled the stream"));
  }

  /** Items published so far. */
  synchronized long sent() {
    return sent;
  }
}
