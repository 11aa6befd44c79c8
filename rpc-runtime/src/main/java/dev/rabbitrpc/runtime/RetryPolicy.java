package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What follows a failed attempt, for every call shape: sent again at once in JSON (a CBOR request
 * its server refused for its format, once per call), retried after a back-off (only
 * {@code @Idempotent} and {@code @Deduplicated} methods, only on {@code UNAVAILABLE}, only while the deadline leaves room),
 * or ended. {@link CallEngine}'s pipeline consults it; it never sends, sleeps or schedules itself.
 *
 * <p>Thread-safe (stateless but for {@link FormatRefused} and a counter).
 */
final class RetryPolicy {
  /** Do not retry: the failure is the call's outcome. */
  static final long END = -1;

  private final FormatRefused formats;
  /** Attempts that failed with UNAVAILABLE and were retried ({@code @Idempotent} calls). */
  private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();

  RetryPolicy(FormatRefused formats) {
    this.formats = formats;
  }

  /**
   * Whether a failed attempt was refused for its format (a CBOR request to a server that does not
   * read CBOR): then its queue gets JSON from now on, and the call is sent again at once. A JSON
   * request is never refused so, so a call falls back at most once.
   */
  boolean resendsInJson(PendingCall attempt) {
    if (attempt == null || !attempt.formatRefused) {
      return false;
    }
    formats.refused(attempt.queue);
    return true;
  }

  /**
   * How long to wait before retrying the failed attempt number {@code attempt} (0 for the first),
   * or {@link #END}; a retry is counted.
   */
  long backoffNanos(MethodDescriptor method, Throwable failure, int attempt, Deadline deadline) {
    // A stream is never run again: its caller may have read items of the first run (streams do not resume).
    if (!method.retried() || method.shape.streaming || !(failure instanceof RpcException)
        || ((RpcException) failure).code() != Code.UNAVAILABLE) {
      return END;
    }
    long base = TimeUnit.MILLISECONDS.toNanos(50) << Math.min(attempt, 5); // 50 ms .. 1.6 s
    long backoff = Math.min(base, TimeUnit.SECONDS.toNanos(1));
    backoff = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    if (backoff >= deadline.remainingNanos()) {
      return END;
    }
    retries.increment();
    return backoff;
  }

  /**
   * The shard a retry goes to: a keyed call stays on its key's shard (equal keys, same shard, even
   * if it has no server now); a round-robin call takes the next shard, which may have one.
   */
  static ServiceDescriptor retryShard(ServiceDescriptor shard, MethodDescriptor method, Object[] args) {
    return shard.shards == 1 || method.shardKey >= 0 ? shard : shard.route(method, args);
  }

  long retries() {
    return retries.sum();
  }
}
