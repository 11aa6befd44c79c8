package dev.rabbitrpc.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Best-effort cancellation on the server side. A client that gives up on a call (its future was
 * cancelled, or the waiting thread interrupted) publishes the call's correlation id to the fanout
 * exchange {@value #EXCHANGE}; every server receives it on its own exclusive queue and
 *
 * <ul>
 *   <li>interrupts the handler if it is running that call right now, or
 *   <li>remembers the id, so that the request is skipped (answered {@code CANCELLED}, not run) when
 *       it is taken from the queue later.
 * </ul>
 *
 * Correlation ids carry a random per-client prefix, so one client's cancel never hits another's
 * call. Remembered ids are bounded ({@link #MAX_REMEMBERED}); the oldest are forgotten first.
 *
 * <p>Thread-safe.
 */
final class Cancellations {
  static final String EXCHANGE = "rabbit-rpc.cancel";
  static final String HEADER_CANCEL = "rpc-cancel";
  static final int MAX_REMEMBERED = 10_000;
  /** A map entry, its key and value objects, two string headers: what an entry costs besides its characters. */
  static final int ENTRY_OVERHEAD_BYTES = 160;

  /** A handler invocation that a cancel may interrupt. */
  static final class Running {
    private final Thread thread = Thread.currentThread();
    private boolean inHandler = true;

    synchronized void interrupt() {
      if (inHandler) {
        thread.interrupt();
      }
    }

    /** Ends the window in which an interrupt may hit, and clears one that did. */
    synchronized void finished() {
      inHandler = false;
      Thread.interrupted();
    }
  }

  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final LongAdder notices = new LongAdder();
  private final Map<String, Boolean> cancelled = new LinkedHashMap<>(16, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > MAX_REMEMBERED;
    }
  };

  /** A message arrived on the server's cancel queue, with these headers (may be null). */
  void onNotice(Map<String, Object> headers) {
    notices.increment();
    Object id = headers == null ? null : headers.get(HEADER_CANCEL);
    if (id != null) {
      cancel(id.toString());
    }
  }

  /** A cancel notice arrived for {@code correlationId}. */
  void cancel(String correlationId) {
    Running call = running.get(correlationId);
    if (call != null) {
      call.interrupt();
    } else {
      synchronized (cancelled) {
        cancelled.put(correlationId, Boolean.TRUE);
      }
    }
  }

  /** Whether the call was cancelled before it started; forgets it either way. */
  boolean wasCancelled(String correlationId) {
    synchronized (cancelled) {
      return cancelled.remove(correlationId) != null;
    }
  }

  /** Registers the calling thread as running {@code correlationId}, or returns null if cancelled. */
  Running start(String correlationId) {
    if (correlationId == null) {
      return new Running();
    }
    Running call = new Running();
    running.put(correlationId, call);
    if (wasCancelled(correlationId)) { // the cancel came between the check and the put
      running.remove(correlationId, call);
      return null;
    }
    return call;
  }

  /** Interrupts every handler running now (a server closing after its grace period). */
  void interruptAll() {
    for (Running call : running.values()) {
      call.interrupt();
    }
  }

  /** Messages received on the cancel queue, well-formed or not. */
  long noticesReceived() {
    return notices.sum();
  }

  /** Notices remembered for requests not taken yet. */
  int rememberedCount() {
    synchronized (cancelled) {
      return cancelled.size();
    }
  }

  /** An estimate, on the high side, of the heap the remembered notices take. */
  long rememberedBytes() {
    synchronized (cancelled) {
      long bytes = 0;
      for (String id : cancelled.keySet()) {
        bytes += ENTRY_OVERHEAD_BYTES + 2L * id.length();
      }
      return bytes;
    }
  }

  void finish(String correlationId, Running call) {
    call.finished();
    if (correlationId != null) {
      running.remove(correlationId, call);
    }
  }
}
