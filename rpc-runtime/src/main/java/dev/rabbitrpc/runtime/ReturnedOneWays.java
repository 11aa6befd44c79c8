package dev.rabbitrpc.runtime;

import java.util.concurrent.atomic.LongAdder;

/**
 * The {@code @OneWay} requests sent without publisher confirms that the broker returned (no queue
 * took them): nobody waits for them, so each is logged at WARN and counted here
 * ({@link ClientStats#returnedOneWayRequests()}). With confirms, such a call fails instead
 * ({@link OneWayChannel}).
 *
 * <p>Thread-safe; told on a channel's return-listener thread.
 */
final class ReturnedOneWays {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReturnedOneWays.class);

  private final LongAdder returned = new LongAdder();

  void returned(String queue, String correlationId, String why) {
    returned.increment();
    log.warn("a one-way request to {} (correlation id {}) was returned by the broker: {}", queue, correlationId, why);
  }

  long count() {
    return returned.sum();
  }
}
