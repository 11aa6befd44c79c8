package dev.rabbitrpc.runtime;

import com.rabbitmq.client.LongString;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Best-effort cancellation on the server side (docs/PROTOCOL.md §7). A client that gives up on a
 * call (its future was cancelled, or the waiting thread interrupted) publishes a notice with the
 * call's correlation id and its cancel key to the direct exchange {@value #EXCHANGE}, routed by the
 * call's queue; each server of that queue receives it on its own exclusive queue and
 *
 * <ul>
 *   <li>interrupts the handler if it is running that call right now, or
 *   <li>remembers the notice, so that the request is skipped (answered {@code CANCELLED}, not run)
 *       when its turn comes later.
 * </ul>
 *
 * <p>A notice is effective only for the request whose {@value WireHeaders#CANCEL_KEY} header carries the same
 * key. The key ({@link CancelKeys}) is a keyed hash of the correlation id under a secret of the client's process, so
 * that only the client and the server consuming the request know it before the cancel: an
 * eavesdropper on the notices (anyone on the vhost may bind a queue to the exchange) can neither
 * forge a notice for another call nor usefully replay one. Correlation ids are not secrets (they
 * are logged and predictable); keys are.
 *
 * <p>Remembered notices are bounded in bytes ({@link #MAX_REMEMBERED_BYTES}) and in age
 * ({@link #REMEMBER_NANOS}, as long as RabbitMQ keeps a notice queued); the oldest go first. Ids
 * longer than an AMQP short string and malformed keys are refused on arrival.
 *
 * <p>Thread-safe.
 */
final class Cancellations {
  /** A new name: the exchange of earlier versions, {@code rabbit-rpc.cancel}, is a fanout, and a type cannot change. */
  static final String EXCHANGE = "rabbit-rpc.cancel-by-queue";
  static final String EXCHANGE_TYPE = "direct";
  /** A correlation id is an AMQP short string. */
  static final int MAX_ID_BYTES = 255;
  static final long MAX_REMEMBERED_BYTES = 1 << 20;
  static final long REMEMBER_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** A map entry, its key and value objects, two strings' headers: what an entry costs besides its characters. */
  static final int ENTRY_OVERHEAD_BYTES = 160;

  /** A call as a notice names it: its correlation id and its key (null for a request without one). */
  private record Call(String id, String key) {}

  /** A handler invocation that a cancel may interrupt. */
  static final class Running {
    private final Thread thread = Thread.currentThread();
    /** The request it runs; null for one without a correlation id. */
    private final Call call;
    private boolean inHandler = true;

    private Running(Call call) {
      this.call = call;
    }

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

  private final LongSupplier nanoTime;
  private final Map<Call, Running> running = new ConcurrentHashMap<>();
  /** Notices for requests not taken yet, oldest first, each with its arrival time. Guarded by itself. */
  private final LinkedHashMap<Call, Long> remembered = new LinkedHashMap<>();
  private long rememberedBytes; // guarded by remembered
  private final LongAdder notices = new LongAdder();

  Cancellations() {
    this(System::nanoTime);
  }

  /** With a clock of its own, for tests of the age bound. */
  Cancellations(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** A message arrived on the server's cancel queue, with these headers (may be null). */
  void onNotice(Map<String, Object> headers) {
    notices.increment();
    String id = correlationIdOf(WireHeaders.cancelledIdOf(headers));
    String key = keyOf(WireHeaders.cancelKeyOf(headers));
    if (id == null || key == null) {
      return; // not a notice this version can apply: it matches no request
    }
    Call call = new Call(id, key);
    synchronized (remembered) { // with start(): the notice finds the handler running, or start finds the notice
      Running handler = running.get(call);
      if (handler != null) {
        handler.interrupt();
        return;
      }
      long now = nanoTime.getAsLong();
      forgetExpired(now);
      if (remembered.putIfAbsent(call, now) == null) {
        rememberedBytes += bytesOf(call);
        forgetOldestBeyondBound();
      }
    }
  }

  /**
   * Registers the calling thread as running the request, or returns null if a notice for it came
   * first (and forgets that notice).
   *
   * @param key the request's {@value WireHeaders#CANCEL_KEY} header as it arrived; a request without a
   *     well-formed key cannot be cancelled
   */
  Running start(String correlationId, Object key) {
    if (correlationId == null) {
      return new Running(null);
    }
    Call call = new Call(correlationId, keyOf(key));
    Running handler = new Running(call);
    if (call.key == null) {
      running.put(call, handler); // no notice can name it; registered to be interrupted on close
      return handler;
    }
    synchronized (remembered) {
      if (!remembered.isEmpty()) {
        forgetExpired(nanoTime.getAsLong());
        if (remembered.remove(call) != null) {
          rememberedBytes -= bytesOf(call);
          return null;
        }
      }
      running.put(call, handler);
      return handler;
    }
  }

  /** Interrupts every handler running now (a server closing after its grace period). */
  void interruptAll() {
    for (Running handler : running.values()) {
      handler.interrupt();
    }
  }

  void finish(Running handler) {
    handler.finished();
    if (handler.call != null) {
      running.remove(handler.call, handler);
    }
  }

  /** Messages received on the cancel queue, well-formed or not. */
  long noticesReceived() {
    return notices.sum();
  }

  /** Notices remembered for requests not taken yet. */
  int rememberedCount() {
    synchronized (remembered) {
      return remembered.size();
    }
  }

  /** An estimate, on the high side, of the heap the remembered notices take. */
  long rememberedBytes() {
    synchronized (remembered) {
      return rememberedBytes;
    }
  }

  private void forgetExpired(long now) {
    Iterator<Map.Entry<Call, Long>> oldestFirst = remembered.entrySet().iterator();
    while (oldestFirst.hasNext()) {
      Map.Entry<Call, Long> oldest = oldestFirst.next();
      if (now - oldest.getValue() < REMEMBER_NANOS) {
        return;
      }
      oldestFirst.remove();
      rememberedBytes -= bytesOf(oldest.getKey());
    }
  }

  private void forgetOldestBeyondBound() {
    Iterator<Call> oldestFirst = remembered.keySet().iterator();
    while (rememberedBytes > MAX_REMEMBERED_BYTES && oldestFirst.hasNext()) {
      Call oldest = oldestFirst.next();
      oldestFirst.remove();
      rememberedBytes -= bytesOf(oldest);
    }
  }

  /** Two bytes a character: strings of non-Latin-1 characters take that much. */
  private static long bytesOf(Call call) {
    return ENTRY_OVERHEAD_BYTES + 2L * (call.id.length() + call.key.length());
  }

  /** A notice's correlation id: a string of 1 to {@value #MAX_ID_BYTES} bytes, else null. */
  private static String correlationIdOf(Object header) {
    byte[] bytes;
    if (header instanceof LongString) {
      if (((LongString) header).length() > MAX_ID_BYTES) {
        return null; // refused before it is copied or decoded
      }
      bytes = ((LongString) header).getBytes();
    } else if (header instanceof String) {
      bytes = ((String) header).getBytes(StandardCharsets.UTF_8);
    } else {
      return null;
    }
    return bytes.length == 0 || bytes.length > MAX_ID_BYTES ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** A key: exactly {@value CancelKeys#KEY_CHARS} lowercase hex digits, else null. */
  private static String keyOf(Object header) {
    boolean rightLength = header instanceof LongString ? ((LongString) header).length() == CancelKeys.KEY_CHARS
        : header instanceof String && ((String) header).length() == CancelKeys.KEY_CHARS;
    if (!rightLength) {
      return null;
    }
    String key = header.toString();
    if (key.length() != CancelKeys.KEY_CHARS) { // bytes that are not all ASCII
      return null;
    }
    for (int i = 0; i < CancelKeys.KEY_CHARS; i++) {
      char c = key.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
    }
    return key;
  }
}
