package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A channel that publishes requests and consumes their replies.
 *
 * <p>RabbitMQ delivers direct reply-to replies only to the channel that published the request and
 * consumes {@code amq.rabbitmq.reply-to}, so each call channel has its own reply consumer. Brokers
 * without direct reply-to (Qpid) get one server-named, exclusive, auto-delete reply queue per call
 * channel instead, which the broker deletes when the channel closes. Publishes
 * on one channel are serialised by this object's lock: a channel is never used for publishing by
 * two threads at once.
 */
final class CallChannel {
  static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

  private final Channel channel;
  /** RabbitMQ reads {@code expiration} as a TTL; Qpid as an absolute time, so it gets none. */
  private final boolean rabbitMq;
  /** The {@code reply_to} of requests sent on this channel; a recovered reply queue may rename it. */
  volatile String replyTo;

  private CallChannel(Channel channel, boolean rabbitMq, String replyTo) {
    this.channel = channel;
    this.rabbitMq = rabbitMq;
    this.replyTo = replyTo;
  }

  /**
   * Opens the reply consumer on a fresh channel and routes replies and returns to the router.
   *
   * @param rabbitMq whether the broker is RabbitMQ, with direct reply-to; elsewhere the replies come
   *     through a reply queue of this channel's own
   */
  static CallChannel open(Channel channel, ReplyRouter router, boolean rabbitMq) throws IOException {
    channel.addReturnListener(returned -> {
      String why = returned.getReplyCode() + " " + returned.getReplyText();
      boolean waited = router.fail(returned.getProperties().getCorrelationId(), new RpcException(Code.UNAVAILABLE,
          "no queue took the request (routing key \"" + returned.getRoutingKey() + "\": " + returned.getReplyText()
              + "); is a server running?"));
      if (!waited && returned.getProperties().getReplyTo() == null) {
        router.oneWayReturned(returned.getRoutingKey(), returned.getProperties().getCorrelationId(), why);
      }
    });
    String replyTo = rabbitMq ? DIRECT_REPLY_TO : channel.queueDeclare().getQueue();
    channel.basicConsume(replyTo, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        try {
          route(router, properties, body);
        } catch (Throwable e) { // whatever decoding the reply throws
          if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
            throw (Error) e;
          }
          // Never let it escape: amqp-client would close this channel, and every call on it with it.
          router.fail(properties.getCorrelationId(), new RpcException(Code.INTERNAL,
              "cannot handle the reply: " + e, e));
        }
      }
    });
    // Cancel notices go to this exchange; declaring it here means publishing to it never fails with 404.
    channel.exchangeDeclare(Cancellations.EXCHANGE, Cancellations.EXCHANGE_TYPE, false, false, null);
    CallChannel callChannel = new CallChannel(channel, rabbitMq, replyTo);
    channel.addShutdownListener(cause -> callChannel.lost(cause, router));
    return callChannel;
  }

  private static void route(ReplyRouter router, AMQP.BasicProperties properties, byte[] body) {
    Map<String, Object> headers = properties.getHeaders();
    RpcException unreadable = WireHeaders.replyVersionError(headers);
    if (unreadable != null) {
      // A reply in a version this client cannot read: fail the call rather than guess (docs/PROTOCOL.md, "Versioning").
      router.fail(properties.getCorrelationId(), unreadable);
      return;
    }
    String status = WireHeaders.statusOf(headers);
    // Only on this status can the server have skipped the request as expired, and said by how much.
    long expiredMillis = Code.DEADLINE_EXCEEDED.name().equals(status) ? WireHeaders.expiredMillisOf(headers) : -1;
    router.onReply(properties.getCorrelationId(), properties.getContentType(), status, body, expiredMillis, headers);
  }

  /**
   * Drops a channel being replaced: aborting it also tells amqp-client to forget it, which would
   * otherwise recover it, with its reply consumer, on every connection recovery.
   */
  void abort() {
    try {
      channel.abort();
    } catch (RuntimeException | IOException alreadyClosed) {
      // it is gone either way
    }
  }

  /** A channel closed on its own (not with its connection) takes its calls' replies with it. */
  private void lost(ShutdownSignalException cause, ReplyRouter router) {
    if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
      abort(); // forgotten by amqp-client, which would otherwise recover it with the connection
      router.failAll(call -> call.channel == this, call -> new RpcException(Code.UNAVAILABLE,
          call.method.key + ": the channel of the call closed: " + cause.getMessage()));
    }
  }

  /** Connection recovery redeclared a server-named queue; if it was this channel's, replies now go there. */
  void replyQueueRenamed(String oldName, String newName) {
    if (replyTo.equals(oldName)) {
      replyTo = newName;
    }
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  private static final byte[] EMPTY = new byte[0];

  /**
   * Tells the servers of {@code queue} that the caller gave up on a call (best effort, never
   * throws). Only a request carrying the same {@code key} is affected (docs/PROTOCOL.md §7).
   */
  void publishCancel(String queue, String correlationId, String key) {
    AMQP.BasicProperties properties = WireHeaders.cancelNotice(correlationId, key,
        rabbitMq ? TimeUnit.NANOSECONDS.toMillis(Cancellations.REMEMBER_NANOS) : -1);
    try {
      synchronized (this) {
        channel.basicPublish(Cancellations.EXCHANGE, queue, false, properties, EMPTY);
      }
    } catch (IOException | RuntimeException e) {
      // best effort: the server will answer a call nobody waits for, and the reply is dropped
    }
  }

  void publish(String queue, AMQP.BasicProperties properties, byte[] body) throws IOException {
    synchronized (this) {
      // mandatory: a request that no queue takes comes back as basic.return -> UNAVAILABLE at once.
      channel.basicPublish("", queue, true, properties, body);
    }
  }
}
