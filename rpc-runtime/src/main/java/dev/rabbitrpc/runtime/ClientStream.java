package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The caller's side of one streaming call (docs/PROTOCOL.md, "Streaming replies"): the items that
 * arrived and the reader has not taken (never more than the window: the server sends only what it
 * was granted), the end, and the credit sent back as the reader takes items. Read as a blocking
 * {@link Stream} ({@link #blocking()}, {@code close()} cancels) or pushed to one
 * {@link Flow.Subscriber} ({@link #subscribe}), back-pressured by its requests.
 *
 * <p>Whatever ends the call — the end marker, an error reply, a lost channel or connection, the
 * deadline, a cancel — ends the stream after the items before it; an end whose item count differs
 * from the items received, an item out of sequence or beyond the window ends it with a typed
 * {@link RpcException}: a stream is never silently short.
 *
 * <p>Threading: items arrive on the reply consumer's thread ({@link #onItem}, {@link #announced});
 * the call ends on whatever thread completes it ({@link #terminate}); a blocking reader takes items
 * on its own thread; a subscriber's signals run on {@code deliveries} (the client's executor, else
 * its {@code rpc-client-work} threads), one at a time. State is guarded by this object.
 */
final class ClientStream implements PendingCall.StreamItems {
  private final MethodDescriptor method;
  private final int window;
  private final Deadline deadline;
  private final ClientTimer timer;
  private final Executor deliveries;
  private final ArrayDeque<Object> items = new ArrayDeque<>();
  /** Null items are kept as this (ArrayDeque takes no null). */
  private static final Object NULL = new Object();
  /** The call whose replies these are; cancelled when the reader gives up. */
  private volatile CompletableFuture<Object> call;
  /** Its attempt in flight: where credit goes (its channel), under which correlation id. */
  private volatile PendingCall attempt;
  /** Where the server takes credit and cancels: the {@code reply_to} of its items; null before the first. */
  private String control;
  private long received;
  private long taken;
  /** Credit sent back to the server so far: it may have sent {@code window + granted} items. */
  private long granted;
  private int takenSinceCredit;
  /** The end's {@code rpc-stream-end}, -1 until it came. */
  private long announcedCount = -1;
  /** How the stream ended, once it did: {@link #COMPLETE} or a failure. */
  private Throwable end;
  private static final Throwable COMPLETE = new Throwable("complete", null, false, false) {};
  private boolean endDelivered;
  private boolean cancelled;
  /** The last time anything moved: an item arrived or the reader took one. */
  private long progressNanos = System.nanoTime();
  // For a subscriber: its demand and the one-at-a-time drain.
  private Flow.Subscriber<Object> subscriber;
  private long demand;
  private final AtomicInteger draining = new AtomicInteger();

  ClientStream(MethodDescriptor method, int window, Deadline deadline, ClientTimer timer, Executor deliveries) {
    this.method = method;
    this.window = window;
    this.deadline = deadline;
    this.timer = timer;
    this.deliveries = deliveries;
  }

  /** The call these replies belong to; its outcome ends the stream. */
  void call(CompletableFuture<Object> call) {
    this.call = call;
    call.whenComplete((value, failure) -> terminate(failure));
    scheduleIdleCheck(method.idleNanos);
  }

  /** An attempt was registered (before its request is published). */
  void attempt(PendingCall attempt) {
    this.attempt = attempt;
  }

  // ---- from the router (the reply consumer's thread)

  @Override
  public void onItem(long seq, Object value, Throwable failure, String controlAddress) {
    synchronized (this) {
      if (end != null) {
        return;
      }
      if (controlAddress != null && !controlAddress.isEmpty()) {
        control = controlAddress;
      }
      if (seq != received) {
        failure = new RpcException(Code.UNAVAILABLE, method.key + ": stream item " + seq + " arrived after " + received
            + " items (expected item " + received + "); the server may have failed and another started the call"
            + " again, and streams do not resume");
      } else if (received - granted >= window) {
        failure = new RpcException(Code.PROTOCOL, method.key + ": the server sent item " + seq + " beyond the window of "
            + window + " items the client granted");
      }
      if (failure == null) {
        received++;
        items.add(value == null ? NULL : value);
        progressNanos = System.nanoTime();
        notifyAll();
      }
    }
    if (failure != null) {
      abandon(failure);
    } else {
      signal();
    }
  }

  @Override
  public synchronized void announced(long count) {
    announcedCount = count;
  }

  /** The call ended: the stream ends after the items before it. */
  private void terminate(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    synchronized (this) {
      if (end != null) {
        return;
      }
      if (cause instanceof CancellationException) {
        cause = new RpcException(Code.CANCELLED, method.key + ": the stream was cancelled");
      } else if (cause == null && announcedCount != received) {
        cause = new RpcException(Code.PROTOCOL, method.key + ": the stream ended after " + received + " items but its"
            + " server announced " + (announcedCount < 0 ? "no item count" : announcedCount + " items"));
      }
      end = cause == null ? COMPLETE : cause;
      notifyAll();
    }
    signal();
  }

  /** Ends the stream with {@code failure} and gives the call up (the server is told to stop). */
  private void abandon(Throwable failure) {
    synchronized (this) {
      if (end != null) {
        return;
      }
      end = failure;
      notifyAll();
    }
    giveUp();
    signal();
  }

  /** The reader gave up: the server is told to stop (at its control address, and through the queue's cancel). */
  void cancel() {
    synchronized (this) {
      if (end != null) {
        return;
      }
      cancelled = true;
      end = new RpcException(Code.CANCELLED, method.key + ": the stream was cancelled");
      notifyAll();
    }
    giveUp();
  }

  private void giveUp() {
    PendingCall current = attempt;
    String address;
    synchronized (this) {
      address = control;
    }
    if (current != null && address != null) {
      current.channel.publishControl(address, WireHeaders.streamControl(current.correlationId,
          CancelKeys.keyFor(current.correlationId), -1));
    }
    CompletableFuture<Object> whole = call;
    if (whole != null) {
      whole.cancel(false);
    }
  }

  // ---- the reader's side

  /** The reader took one item: every half window taken goes back to the server as credit. */
  private void took() {
    int credit = 0;
    String address;
    synchronized (this) {
      taken++;
      progressNanos = System.nanoTime();
      if (++takenSinceCredit >= Math.max(1, window / 2) && control != null && end == null) {
        credit = takenSinceCredit;
        takenSinceCredit = 0;
        granted += credit;
      }
      address = control;
    }
    PendingCall current = attempt;
    if (credit > 0 && current != null) {
      current.channel.publishControl(address, WireHeaders.streamControl(current.correlationId,
          CancelKeys.keyFor(current.correlationId), credit));
    }
  }

  /**
   * The next item, waiting for it within the call's deadline (the call's own timer and the idle
   * check end the stream first; the bound here is a last resort); null if the stream ended well.
   *
   * @throws RpcException how it ended otherwise
   */
  private Object next() {
    Object item;
    synchronized (this) {
      while (items.isEmpty() && end == null) {
        long waitNanos = deadline.remainingNanos() + TimeUnit.SECONDS.toNanos(5);
        if (waitNanos <= 0) {
          end = new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": the stream did not end within "
              + deadline.budgetMillis() + " ms");
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cancelled = true;
          end = new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting for a stream item", e);
        }
      }
      item = items.poll();
      if (item == null) {
        endDelivered = true;
        if (end == COMPLETE) {
          return END_OF_STREAM;
        }
        throw rethrowable(end);
      }
    }
    took();
    return item == NULL ? null : item;
  }

  private static final Object END_OF_STREAM = new Object();

  /**
   * How the stream failed, thrown as itself: a checked exception the method declares too (so that
   * the caller's {@code catch} around the call and its reading catches it, as for a unary method).
   */
  private static RuntimeException rethrowable(Throwable failure) {
    ClientStream.<RuntimeException>sneaky(failure);
    throw new AssertionError("unreachable");
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneaky(Throwable failure) throws E {
    throw (E) failure;
  }

  /** The items as a blocking stream; closing it before its end cancels the call. */
  Stream<Object> blocking() {
    Iterator<Object> iterator = new Iterator<>() {
      private Object next = END_OF_STREAM;
      private boolean done;

      @Override
      public boolean hasNext() {
        if (done) {
          return false;
        }
        if (next == END_OF_STREAM) {
          next = ClientStream.this.next();
          done = next == END_OF_STREAM;
        }
        return !done;
      }

      @Override
      public Object next() {
        if (!hasNext()) {
          throw new NoSuchElementException(method.key + ": the stream has ended");
        }
        Object item = next;
        next = END_OF_STREAM;
        return item;
      }
    };
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator, Spliterator.ORDERED), false)
        .onClose(this::cancel);
  }

  // ---- a subscriber's side

  /** Pushes the items to {@code target} as it requests them (Reactive Streams rules: serial signals, no nulls). */
  void subscribe(Flow.Subscriber<Object> target) {
    synchronized (this) {
      subscriber = target;
    }
    deliver(() -> target.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {
        if (n <= 0) {
          abandon(new IllegalArgumentException("§3.9: request(" + n + "): the number requested must be positive"));
          return;
        }
        synchronized (ClientStream.this) {
          demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        signal();
      }

      @Override
      public void cancel() {
        ClientStream.this.cancel();
        synchronized (ClientStream.this) {
          endDelivered = true; // no signal after a cancel
        }
      }
    }));
    signal();
  }

  /** Something changed: a subscriber gets what it may now (a blocking reader was notified already). */
  private void signal() {
    if (subscriber != null && draining.getAndIncrement() == 0) {
      deliver(this::drain);
    }
  }

  private void drain() {
    int missed = 1;
    do {
      while (true) {
        Object item;
        Throwable ended = null;
        Flow.Subscriber<Object> target;
        synchronized (this) {
          target = subscriber;
          if (endDelivered || target == null) {
            break;
          }
          if (!items.isEmpty() && demand > 0) {
            item = items.poll();
            demand--;
          } else if (items.isEmpty() && end != null) {
            item = null;
            ended = end;
            endDelivered = true;
          } else {
            break;
          }
        }
        if (ended != null) {
          if (ended == COMPLETE) {
            target.onComplete();
          } else if (!(cancelled && ended instanceof RpcException && ((RpcException) ended).code() == Code.CANCELLED)) {
            target.onError(ended);
          }
          break;
        }
        if (item == NULL) {
          abandon(new RpcException(Code.PROTOCOL, method.key + ": the server sent a null item, which a Flow.Subscriber"
              + " cannot take (§2.13); read the stream as a Stream<T> to see nulls"));
          continue;
        }
        took();
        try {
          target.onNext(item);
        } catch (RuntimeException e) {
          abandon(e); // §2.13: a subscriber that throws gave the stream up
        }
      }
      missed = draining.addAndGet(-missed);
    } while (missed != 0);
  }

  private void deliver(Runnable task) {
    try {
      deliveries.execute(task);
    } catch (RejectedExecutionException closed) {
      task.run(); // the client is closing: its calls fail, and the subscriber is told so here
    }
  }

  // ---- the idle timeout

  /** Checks after {@code delayNanos} whether the stream made no progress for its idle timeout. */
  private void scheduleIdleCheck(long delayNanos) {
    try {
      timer.schedule(this::idleCheck, delayNanos);
    } catch (RejectedExecutionException closed) {
      // the client is closing: it fails the call, which ends the stream
    }
  }

  private void idleCheck() {
    long idle = method.idleNanos;
    long quietNanos;
    boolean waitingForServer;
    synchronized (this) {
      if (end != null) {
        return;
      }
      quietNanos = System.nanoTime() - progressNanos;
      // Only the server can be idle while the reader waits; a reader that does not take items holds the server back.
      waitingForServer = items.isEmpty();
    }
    if (waitingForServer && quietNanos >= idle) {
      RpcException idleOut = RpcException.deadlineExceeded(method.key + ": no stream item for "
          + TimeUnit.NANOSECONDS.toMillis(quietNanos) + " ms, more than the idle timeout of "
          + TimeUnit.NANOSECONDS.toMillis(idle) + " ms, after " + received + " items", RpcException.DeadlineCause.STREAM_IDLE);
      deliver(() -> abandon(idleOut)); // a timer task only decides: the cancel's publishes run elsewhere
      return;
    }
    scheduleIdleCheck(waitingForServer ? idle - quietNanos : idle);
  }
}
