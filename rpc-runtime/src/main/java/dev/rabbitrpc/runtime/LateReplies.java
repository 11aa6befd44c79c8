package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client remembers of calls that ended at their deadline, so that a reply coming after it
 * is known as late, not foreign: counted, logged at debug with its method, lateness and cause, and
 * kept among the last few ({@link #recent()}). Bounded: the oldest expired calls are forgotten first
 * beyond {@link #REMEMBERED_EXPIRED}, the oldest late replies beyond {@link #REMEMBERED_LATE}.
 *
 * <p>Thread-safe.
 */
final class LateReplies {
  private static final Logger log = LoggerFactory.getLogger(LateReplies.class);
  static final int REMEMBERED_EXPIRED = 1024;
  static final int REMEMBERED_LATE = 32;

  private record Expired(String method, long deadlineNanos, long sentAtNanos) {}

  /** Guarded by itself. */
  private final LinkedHashMap<String, Expired> expired = new LinkedHashMap<>() {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Expired> eldest) {
      return size() > REMEMBERED_EXPIRED;
    }
  };
  /** The last late replies, oldest first. Guarded by itself. */
  private final ArrayDeque<LateReply> recent = new ArrayDeque<>();
  private final LongAdder late = new LongAdder();
  /** Late replies from servers that skipped the request because it had expired when they took it. */
  private final LongAdder skipped = new LongAdder();

  /** A call that was still waiting ended at its deadline: a reply to it from now on is late. */
  void expired(PendingCall call) {
    synchronized (expired) {
      expired.put(call.correlationId,
          new Expired(call.method.key, System.nanoTime() + call.deadline.remainingNanos(), call.sentAtNanos));
    }
  }

  /**
   * A reply no call waits for: if it answers a call that expired, it is recorded as late and this
   * returns true; else (duplicate, foreign) false.
   *
   * @param expiredMillis the reply's {@code rpc-expired-ms}, -1 if absent
   */
  boolean onUnclaimed(String correlationId, String status, byte[] body, long expiredMillis) {
    Expired call;
    synchronized (expired) {
      call = correlationId == null ? null : expired.remove(correlationId);
    }
    if (call == null) {
      return false;
    }
    long now = System.nanoTime();
    long lateMillis = TimeUnit.NANOSECONDS.toMillis(now - call.deadlineNanos);
    LateReply record;
    if (expiredMillis >= 0) {
      long queuedMillis = TimeUnit.NANOSECONDS.toMillis(now - call.sentAtNanos);
      record = new LateReply(call.method, correlationId, RpcException.DeadlineCause.SKIPPED_EXPIRED, status,
          lateMillis, queuedMillis);
      log.debug("late reply for {} (correlation id {}): {}; reply arrived {} ms late", call.method, correlationId,
          skippedMessage(queuedMillis, expiredMillis), lateMillis);
    } else {
      record = new LateReply(call.method, correlationId, RpcException.DeadlineCause.TAKEN, status,
          lateMillis, -1);
      log.debug("late reply for {} (correlation id {}): reply arrived {} ms late, status {}{}", call.method,
          correlationId, lateMillis, status,
          WireHeaders.STATUS_OK.equals(status) ? "" : ": " + new String(body, StandardCharsets.UTF_8));
    }
    synchronized (recent) {
      if (recent.size() == REMEMBERED_LATE) {
        recent.removeFirst();
      }
      recent.addLast(record);
    }
    // Counted once recorded, the whole before the part: a reader that sees a count sees the record and the other count.
    late.increment();
    if (expiredMillis >= 0) {
      skipped.increment();
    }
    return true;
  }

  /** What a server that skipped a request as expired tells: how long it was queued, how late it was. */
  static String skippedMessage(long queuedMillis, long expiredMillis) {
    return "the server skipped it: it arrived already expired after " + queuedMillis + " ms in the queue (its deadline"
        + " had passed " + expiredMillis + " ms before, by the server's clock)";
  }

  /** The last late replies (at most {@link #REMEMBERED_LATE}), oldest first. */
  List<LateReply> recent() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  /** Replies that came after their call's deadline. */
  long count() {
    return late.sum();
  }

  /** Late replies whose server skipped the request as expired (a subset of {@link #count()}). */
  long skipped() {
    return skipped.sum();
  }
}
