package dev.rabbitrpc.runtime;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes the correlation ids of one client's requests: a random prefix per client, so that ids
 * never repeat across clients or restarts, and a counter after it. Ids need to be unique, not
 * secret (replies reach only the channel that sent the request), so no {@code SecureRandom}:
 * seeding one costs tens of milliseconds of a new JVM's first call.
 *
 * <p>Thread-safe, lock-free.
 */
final class CorrelationIds {
  private final String prefix = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE) + "-";
  private final AtomicLong counter = new AtomicLong();

  /** An id no call of this client had or will have. */
  String next() {
    return prefix + Long.toString(counter.incrementAndGet(), 36);
  }
}
