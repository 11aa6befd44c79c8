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
import java.util.concurrent.atomic.AtomicBoolean;

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
final class CallChannel implements ClientTransport.RequestChannel {
  static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

  private final Channel channel;
  /** RabbitMQ reads {@code expiration} as a TTL; Qpid as an absolute time, so it gets none. */
  private final boolean rabbitMq;
  /** The {@code reply_to} of requests sent on this channel; a recovered reply queue may rename it. */
  volatile String replyTo;
  /** Lowered when the broker refuses a request as too large. */
  private final MessageSizeLimit limit;
  /**
   * Whether the loss of this channel was handled: aborting a closed channel makes amqp-client run
   * its shutdown listeners again, with the same cause, so the listener must act once only.
   */
  private final AtomicBoolean lostHandled = new AtomicBoolean();
  private final AtomicBoolean aborted = new AtomicBoolean();
  /**
   * The last requests published (correlation id and body size, a ring guarded by this object's
   * lock): which of them the broker refused as too large is the one of the size it names.
   */
  private static final int RECENT = 16;
  private final String[] recentIds = new String[RECENT];
  private final int[] recentSizes = new int[RECENT];
  private int nextRecent;

  private CallChannel(Channel channel, boolean rabbitMq, String replyTo, MessageSizeLimit limit) {
    this.channel = channel;
    this.rabbitMq = rabbitMq;
    this.replyTo = replyTo;
    this.limit = limit;
  }

  /**
   * Opens the reply consumer on a fresh channel and reports replies, returns and its loss to {@code router}
   * (a {@link ReplyListener}: the channel does not know the router itself).
   *
   * @param rabbitMq whether the broker is RabbitMQ, with direct reply-to; elsewhere the replies come
   *     through a reply queue of this channel's own
   */
  static CallChannel open(Channel channel, ReplyListener router, ReturnedOneWays returnedOneWays, boolean rabbitMq,
      MessageSizeLimit limit)
      throws IOException {
    channel.addReturnListener(returned -> {
      String why = returned.getReplyCode() + " " + returned.getReplyText();
      boolean waited = router.fail(returned.getProperties().getCorrelationId(), new RpcException(Code.UNAVAILABLE,
          "no queue took the request (routing key \"" + returned.getRoutingKey() + "\": " + returned.getReplyText()
              + "); is a server running?"));
      if (!waited && returned.getProperties().getReplyTo() == null) {
        returnedOneWays.returned(returned.getRoutingKey(), returned.getProperties().getCorrelationId(), why);
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
    CallChannel callChannel = new CallChannel(channel, rabbitMq, replyTo, limit);
    channel.addShutdownListener(cause -> callChannel.lost(cause, router));
    return callChannel;
  }

  private static void route(ReplyListener router, AMQP.BasicProperties properties, byte[] body) {
    Map<String, Object> headers = properties.getHeaders();
    RpcException unreadable = WireHeaders.replyVersionError(headers);
    if (unreadable != null) {
      // A reply in a version this client cannot read: fail the call rather than guess (docs/PROTOCOL.md, "Versioning").
      router.fail(properties.getCorrelationId(), unreadable);
      return;
    }
    String notice = WireHeaders.noticeOf(headers);
    if (notice != null) {
      // Not the reply: a closing server says it holds the request (docs/PROTOCOL.md, "Closing a server"). Others are ignored.
      if (notice.equals(WireHeaders.NOTICE_TAKEN)) {
        router.taken(properties.getCorrelationId(), WireHeaders.graceMillisOf(headers));
      }
      return;
    }
    long seq = WireHeaders.streamSeqOf(headers);
    if (seq >= 0) {
      // One item of a streaming call (docs/PROTOCOL.md, "Streaming replies"); its end is a reply.
      router.onStreamItem(properties.getCorrelationId(), properties.getContentType(), seq, properties.getReplyTo(), body);
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
    if (!aborted.compareAndSet(false, true)) {
      return; // once: amqp-client calls the shutdown listeners again from abort, which aborts
    }
    try {
      channel.abort();
    } catch (RuntimeException | IOException alreadyClosed) {
      // it is gone either way
    }
  }

  /**
   * The broker closed this channel (not with its connection): its calls' replies went with it. A
   * request the broker refused as larger than its {@code max_message_size} fails with
   * {@code RESOURCE_EXHAUSTED} and the client learns the limit; the other calls on the channel fail
   * with {@code UNAVAILABLE}. Each names the broker's reply code and text. Once per channel.
   */
  void lost(ShutdownSignalException cause, ReplyListener router) {
    BrokerRefusal refusal = BrokerRefusal.of(cause);
    if (refusal == null || !lostHandled.compareAndSet(false, true)) {
      return;
    }
    String refused = null;
    if (refusal.isTooLarge()) {
      limit.learnBrokerLimit(refusal.brokerLimit);
      refused = publishedWithSize(refusal.messageSize);
    }
    String culprit = refused;
    router.channelLost(this, culprit, (method, isCulprit) -> isCulprit
        ? new RpcException(Code.RESOURCE_EXHAUSTED, method + ": the broker refused the request: " + refusal
            + " (its max_message_size; requests over " + refusal.brokerLimit + " bytes now fail before they are sent)")
        : new RpcException(Code.UNAVAILABLE, method + ": the broker closed the channel of the call"
            + (refusal.isTooLarge() ? ", refusing another request on it: " : ": ") + refusal));
    abort(); // forgotten by amqp-client, which would otherwise recover it with the connection
  }

  /** The correlation id of a recent request of {@code size} bytes, or null. */
  private synchronized String publishedWithSize(long size) {
    for (int i = 1; i <= RECENT; i++) {
      int at = Math.floorMod(nextRecent - i, RECENT);
      if (recentIds[at] != null && recentSizes[at] == size) {
        return recentIds[at];
      }
    }
    return null;
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
  @Override
  public void publishCancel(String queue, String correlationId, String key) {
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

  @Override
  public void publishControl(String address, AMQP.BasicProperties properties) {
    try {
      synchronized (this) {
        channel.basicPublish("", address, false, properties, EMPTY);
      }
    } catch (IOException | RuntimeException e) {
      // best effort: without its credit the stream ends typed at its idle timeout
    }
  }

  @Override
  public String replyTo() {
    return replyTo;
  }

  @Override
  public void publish(String queue, AMQP.BasicProperties properties, byte[] body) throws IOException {
    synchronized (this) {
      recentIds[nextRecent] = properties.getCorrelationId();
      recentSizes[nextRecent] = body.length;
      nextRecent = (nextRecent + 1) % RECENT;
      // mandatory: a request that no queue takes comes back as basic.return -> UNAVAILABLE at once.
      channel.basicPublish("", queue, true, properties, body);
    }
  }
}
