package dev.rabbitrpc.runtime;

/**
 * The largest message body a client sends and its servers answer with: {@link
 * RpcClient.Builder#maxMessageSize(int)}, lowered to the broker's own {@code max_message_size} once
 * the broker has refused a message over it (RabbitMQ does not announce its limit; it closes the
 * channel of a publish above it, 16 MiB by default on 4.x, 128 MiB on 3.x). Learning it means one
 * refusal costs one channel; after it, a larger request fails at once, before it is sent, and a
 * server answers a larger result {@code RESOURCE_EXHAUSTED} instead of losing its intake channel
 * (and its requests) to the broker on every attempt.
 *
 * <p>Thread-safe: the learned limit is a volatile field, lowered only.
 */
final class MessageSizeLimit {
  private final int configured;
  /** The broker's limit as it said it when it refused a message; {@code Integer.MAX_VALUE} until then. */
  private volatile long broker = Integer.MAX_VALUE;

  MessageSizeLimit(int configured) {
    this.configured = configured;
  }

  /** The limit now: the configured one, or the broker's if that is lower. */
  int bytes() {
    return (int) Math.min(configured, broker);
  }

  /** Whether the broker's limit is the lower one: a message above it would be refused by the broker. */
  boolean isBrokers() {
    return broker < configured;
  }

  /** The broker refused a message over {@code limit} bytes. */
  void learnBrokerLimit(long limit) {
    if (limit >= 0 && limit < broker) {
      broker = limit;
    }
  }

  /** Where the limit comes from, for an error message: the setting, or the broker's refusal. */
  String source() {
    return isBrokers() ? "the broker's max_message_size, learned from its refusal of a larger message"
        : "RpcClient.Builder.maxMessageSize";
  }
}
