package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server's answer to the broker's consumer timeout: RabbitMQ closes the channel (or, for a
 * quorum queue on 4.x, cancels the consumer) of a delivery left unacknowledged longer than
 * {@code consumer_timeout} (30 minutes by default, often lower), and the server acknowledges a
 * request only after its reply. So a handler allowed to run longer than that would lose its intake
 * channel, and with it every request the channel held, to a redelivery.
 *
 * <p>Where the broker takes a per-consumer value (the {@code x-consumer-timeout} consumer argument,
 * RabbitMQ 3.12 and later), the server's consumer asks for its longest method timeout plus its
 * shutdown grace and a minute, whenever that is longer than the broker's timeout as known: 30
 * minutes until the broker closed a channel for it, then the value it named. Where it does not
 * (RabbitMQ 3.11 and older), the server says so at export and when it happens, naming the methods.
 * Either way a request that had been delivered when the channel closed comes back redelivered and
 * is run again only if it is {@code @Idempotent}; otherwise its caller is answered {@code
 * UNAVAILABLE} ("may or may not have run").
 *
 * <p>Thread-safe: the broker's timeout is a volatile field.
 */
final class ConsumerTimeout {
  /** RabbitMQ's default {@code consumer_timeout}. */
  static final long BROKER_DEFAULT_MILLIS = TimeUnit.MINUTES.toMillis(30);
  static final String ARGUMENT = "x-consumer-timeout";
  private static final long MARGIN_MILLIS = TimeUnit.MINUTES.toMillis(1);

  private final List<MethodDescriptor> methods;
  /** The longest a request may be held: the longest method timeout, then the shutdown grace. */
  private final long holdMillis;
  private volatile long brokerMillis = BROKER_DEFAULT_MILLIS;

  ConsumerTimeout(List<MethodDescriptor> methods, Duration shutdownGrace) {
    this.methods = List.copyOf(methods);
    long longest = 0;
    for (MethodDescriptor method : methods) {
      longest = Math.max(longest, TimeUnit.NANOSECONDS.toMillis(method.timeoutNanos));
    }
    this.holdMillis = longest + shutdownGrace.toMillis();
  }

  /** Whether a broker of this version takes {@code x-consumer-timeout} on a consumer (RabbitMQ 3.12+). */
  static boolean perConsumer(String brokerVersion) {
    if (brokerVersion == null) {
      return false;
    }
    String[] parts = brokerVersion.split("[.+-]");
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return major > 3 || major == 3 && minor >= 12;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The broker closed a channel for a delivery unacknowledged longer than {@code millis}. */
  void learn(long millis) {
    if (millis > 0) {
      brokerMillis = millis;
    }
  }

  long brokerMillis() {
    return brokerMillis;
  }

  /** Whether a request may be held longer than the broker allows a delivery to stay unacknowledged. */
  boolean exceedsBroker() {
    return holdMillis > brokerMillis;
  }

  /**
   * The consumer's arguments: {@code x-consumer-timeout} where the broker takes it and needs it to
   * be longer; else none (null), leaving the broker's or the operator's value as it is.
   */
  Map<String, Object> consumerArguments(boolean perConsumer) {
    return perConsumer && exceedsBroker() ? Map.of(ARGUMENT, holdMillis + MARGIN_MILLIS) : null;
  }

  /** The methods whose timeout (with the grace) is longer than the broker's consumer timeout, as "Svc.m (45 min)". */
  String methodsBeyondBroker(Duration shutdownGrace) {
    List<String> named = new ArrayList<>();
    for (MethodDescriptor method : methods) {
      long millis = TimeUnit.NANOSECONDS.toMillis(method.timeoutNanos) + shutdownGrace.toMillis();
      if (millis > brokerMillis) {
        named.add(method.key + " (timeout " + TimeUnit.NANOSECONDS.toSeconds(method.timeoutNanos) + " s)");
      }
    }
    return String.join(", ", named);
  }
}
