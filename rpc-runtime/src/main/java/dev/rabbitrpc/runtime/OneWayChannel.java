package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A channel in publisher-confirm mode for {@code @OneWay} requests: each publish gets a future that
 * completes when the broker confirms it, or fails with {@code UNAVAILABLE} when the broker returns
 * it (no queue took it: RabbitMQ sends {@code basic.return} before the confirm of the same
 * message), refuses it ({@code basic.nack}) or the channel closes first.
 *
 * <p>Thread-safe: publishes are serialised by this object's lock, as confirms are numbered in the
 * order of publishes.
 */
final class OneWayChannel implements ClientTransport.OneWayPublisher {
  private final Channel channel;
  private final String brokerDescription;
  /** By publish sequence number, to settle confirms that cover several at once ({@code multiple}). */
  private final ConcurrentNavigableMap<Long, Unconfirmed> bySequence = new ConcurrentSkipListMap<>();
  /** By correlation id, to mark a returned request before its confirm arrives. */
  private final Map<String, Unconfirmed> byId = new ConcurrentHashMap<>();

  /** Lowered when the broker refuses a request as too large. */
  private final MessageSizeLimit limit;

  private static final class Unconfirmed {
    final String correlationId;
    /** Its body's size: the broker names the size of a message it refuses as too large. */
    final int size;
    final CompletableFuture<Object> confirmed = new CompletableFuture<>();
    volatile String returned;

    Unconfirmed(String correlationId, int size) {
      this.correlationId = correlationId;
      this.size = size;
    }
  }

  private OneWayChannel(Channel channel, String brokerDescription, MessageSizeLimit limit) {
    this.channel = channel;
    this.brokerDescription = brokerDescription;
    this.limit = limit;
  }

  static OneWayChannel open(Channel channel, String brokerDescription, MessageSizeLimit limit) throws IOException {
    OneWayChannel oneWay = new OneWayChannel(channel, brokerDescription, limit);
    channel.confirmSelect();
    channel.addReturnListener(returned -> oneWay.returned(returned.getProperties().getCorrelationId(),
        returned.getReplyCode() + " " + returned.getReplyText() + " (routing key \"" + returned.getRoutingKey() + "\")"));
    channel.addConfirmListener((tag, multiple) -> oneWay.settle(tag, multiple, true),
        (tag, multiple) -> oneWay.settle(tag, multiple, false));
    channel.addShutdownListener(oneWay::lost);
    return oneWay;
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  /** Publishes {@code mandatory}; the future completes when the broker has confirmed it. */
  @Override
  public CompletableFuture<Object> publish(String queue, AMQP.BasicProperties properties, byte[] body)
      throws IOException {
    Unconfirmed unconfirmed = new Unconfirmed(properties.getCorrelationId(), body.length);
    synchronized (this) {
      long sequence = channel.getNextPublishSeqNo();
      bySequence.put(sequence, unconfirmed);
      byId.put(unconfirmed.correlationId, unconfirmed);
      try {
        channel.basicPublish("", queue, true, properties, body);
      } catch (IOException | RuntimeException e) {
        bySequence.remove(sequence);
        byId.remove(unconfirmed.correlationId);
        throw e;
      }
    }
    return unconfirmed.confirmed;
  }

  /** Drops a channel being replaced, so that amqp-client stops recovering it. */
  void abort() {
    try {
      channel.abort();
    } catch (IOException | RuntimeException alreadyClosed) {
      // gone either way
    }
  }

  private void returned(String correlationId, String why) {
    Unconfirmed unconfirmed = correlationId == null ? null : byId.get(correlationId);
    if (unconfirmed != null) {
      unconfirmed.returned = why;
    }
  }

  private void settle(long tag, boolean multiple, boolean ack) {
    Map<Long, Unconfirmed> settled = multiple ? bySequence.headMap(tag, true) : bySequence.subMap(tag, true, tag, true);
    for (Map.Entry<Long, Unconfirmed> entry : settled.entrySet()) {
      Unconfirmed unconfirmed = entry.getValue();
      if (bySequence.remove(entry.getKey(), unconfirmed)) {
        byId.remove(unconfirmed.correlationId, unconfirmed);
        if (!ack) {
          // Qpid nacks a mandatory request no queue takes, where RabbitMQ returns it and acks.
          unconfirmed.confirmed.completeExceptionally(new RpcException(Code.UNAVAILABLE,
              "the broker " + brokerDescription + " refused the request (basic.nack"
                  + (unconfirmed.returned == null ? "" : "; " + unconfirmed.returned) + "); is a server running?"));
        } else if (unconfirmed.returned != null) {
          unconfirmed.confirmed.completeExceptionally(new RpcException(Code.UNAVAILABLE,
              "no queue took the request: " + unconfirmed.returned + "; is a server running?"));
        } else {
          unconfirmed.confirmed.complete(null);
        }
      }
    }
  }

  /**
   * The channel closed before the broker confirmed these requests: each fails {@code UNAVAILABLE},
   * but the one the broker refused as larger than its {@code max_message_size}, which fails
   * {@code RESOURCE_EXHAUSTED} (and the client learns the limit). Runs again, with nothing left to
   * fail, when the channel is aborted later.
   */
  private void lost(com.rabbitmq.client.ShutdownSignalException cause) {
    BrokerRefusal refusal = BrokerRefusal.of(cause);
    boolean tooLarge = refusal != null && refusal.isTooLarge();
    if (tooLarge) {
      limit.learnBrokerLimit(refusal.brokerLimit);
    }
    String why = refusal != null ? "the broker closed the channel before it confirmed the request: " + refusal
        : "the channel closed before the broker confirmed the request: " + cause.getMessage();
    boolean culpritFound = false;
    for (Long sequence : bySequence.keySet()) {
      Unconfirmed unconfirmed = bySequence.remove(sequence);
      if (unconfirmed != null) {
        byId.remove(unconfirmed.correlationId, unconfirmed);
        boolean culprit = tooLarge && !culpritFound && unconfirmed.size == refusal.messageSize;
        culpritFound |= culprit;
        unconfirmed.confirmed.completeExceptionally(culprit
            ? new RpcException(Code.RESOURCE_EXHAUSTED, "the broker refused the request: " + refusal
                + " (its max_message_size; requests over " + refusal.brokerLimit + " bytes now fail before they are sent)")
            : new RpcException(Code.UNAVAILABLE, why));
      }
    }
  }
}
