package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the client last learned from the broker about each request queue (messages ready, consumers:
 * the answers to {@link ConsumerProbe}'s passive declares), and what that says about a call whose
 * deadline passed: the {@link DeadlineCause} and the message of its {@code DEADLINE_EXCEEDED}.
 *
 * <p>Nothing here runs on a successful call. The counts come from the probe, which already asks the
 * broker about the queues of calls that have waited for a while; a call that expires when its
 * queue's last count is older than {@link #RECOUNT_AFTER_NANOS} asks for one more, at most once per
 * queue per that period, on the probe's thread. The expiring call never waits for it: it fails at
 * its deadline with what was known then, and the new count serves the calls that expire next.
 *
 * <p>What a count can say about one call (docs/RELIABILITY.md, "Why a deadline passed"): only a count
 * taken after the call's request was sent says anything about it. No message ready then means the
 * request had been delivered to a server (the broker cannot have dropped it for its
 * {@code expiration} yet: that is no earlier than the deadline) — {@link DeadlineCause#TAKEN}.
 * Messages ready mean it was probably still queued — {@link DeadlineCause#QUEUED}; a count cannot
 * say which messages are ready, hence "probably", and "at most N − 1 ahead of it". This holds for
 * RabbitMQ, whose count is of messages ready only. Other brokers (Qpid) count the messages delivered
 * and not yet acknowledged too, so their count cannot tell queued from taken: the message then gives
 * the count as it is, and the cause is {@link DeadlineCause#UNKNOWN}.
 *
 * <p>Thread-safe.
 */
final class QueueCounts {
  /** A count older than this is refreshed when a call to its queue expires. */
  static final long RECOUNT_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Beyond this many queues, the counts are forgotten and start again (a client calls a few queues). */
  static final int MAX_QUEUES = 1024;

  /**
   * One answer of the broker: messages and consumers of a queue, asked at {@code countedAtNanos} or
   * later; {@code readyOnly} if the messages are those ready only (RabbitMQ), not those delivered too.
   */
  record Count(int messages, int consumers, long countedAtNanos, boolean readyOnly) {}

  private final Deadline.Ticker ticker;
  private final ConcurrentHashMap<String, Count> counts = new ConcurrentHashMap<>();
  /** When a recount was last asked for, per queue: the rate limit. */
  private final ConcurrentHashMap<String, Long> recountAskedAt = new ConcurrentHashMap<>();
  private volatile Consumer<String> recounter = queue -> { };

  QueueCounts(Deadline.Ticker ticker) {
    this.ticker = ticker;
  }

  /** Who counts a queue when asked (the consumer probe, off the caller's thread). */
  void recounter(Consumer<String> recounter) {
    this.recounter = recounter;
  }

  /**
   * The broker's answer for {@code queue}, to a question asked at {@code countedAtNanos} (before
   * sending it); {@code readyOnly} if the broker counts the messages ready only (RabbitMQ).
   */
  void counted(String queue, int messages, int consumers, long countedAtNanos, boolean readyOnly) {
    if (counts.size() >= MAX_QUEUES && !counts.containsKey(queue)) {
      counts.clear();
    }
    counts.put(queue, new Count(messages, consumers, countedAtNanos, readyOnly));
  }

  /** The last count of {@code queue}, or null. */
  Count latest(String queue) {
    return counts.get(queue);
  }

  /**
   * The {@code DEADLINE_EXCEEDED} of a call to {@code queue} whose request was sent at
   * {@code sentAtNanos}, expiring now; asks for a fresh count of the queue if the last is old
   * (rate-limited, never waited for).
   *
   * @param what the start of the message, e.g. "Svc.m: no reply within 500 ms"
   */
  RpcException exceeded(String what, String queue, long sentAtNanos) {
    long now = ticker.nanoTime();
    Count count = counts.get(queue);
    if (count == null || now - count.countedAtNanos >= RECOUNT_AFTER_NANOS) {
      askRecount(queue, now);
    }
    return diagnose(what, queue, count, sentAtNanos, now);
  }

  private void askRecount(String queue, long now) {
    Long asked = recountAskedAt.get(queue);
    if (asked != null && now - asked < RECOUNT_AFTER_NANOS) {
      return;
    }
    if (recountAskedAt.size() >= MAX_QUEUES) {
      recountAskedAt.clear();
    }
    boolean mine = asked == null ? recountAskedAt.putIfAbsent(queue, now) == null
        : recountAskedAt.replace(queue, asked, now);
    if (mine) {
      recounter.accept(queue);
    }
  }

  /** What {@code count} says about a call sent at {@code sentAtNanos} that expires at {@code nowNanos}. */
  static RpcException diagnose(String what, String queue, Count count, long sentAtNanos, long nowNanos) {
    if (count == null || count.countedAtNanos - sentAtNanos < 0) {
      return RpcException.deadlineExceeded(what + " (where it waited is not known: queue " + queue
          + " was not counted after the request was sent)", DeadlineCause.UNKNOWN);
    }
    String when = "counted " + TimeUnit.NANOSECONDS.toMillis(nowNanos - count.countedAtNanos)
        + " ms before the call expired, after its request was sent";
    if (!count.readyOnly) {
      return RpcException.deadlineExceeded(what + " (queue " + queue + " held " + messages(count.messages)
          + ", delivered or not, and " + consumers(count.consumers) + "; " + when
          + "; this broker's count cannot tell a queued request from a taken one)", DeadlineCause.UNKNOWN);
    }
    if (count.messages > 0) {
      return RpcException.deadlineExceeded(what + ": probably still queued (" + messages(count.messages)
          + " ready in queue " + queue + ", so at most " + (count.messages - 1) + " ahead of it; "
          + consumers(count.consumers) + "; " + when + ")", DeadlineCause.QUEUED);
    }
    return RpcException.deadlineExceeded(what + ": taken by a server, no reply in time (no message ready in queue "
        + queue + ", " + consumers(count.consumers) + "; " + when + ")", DeadlineCause.TAKEN);
  }

  private static String messages(int n) {
    return n == 1 ? "1 message" : n + " messages";
  }

  private static String consumers(int n) {
    return n == 1 ? "1 consumer" : n + " consumers";
  }
}
