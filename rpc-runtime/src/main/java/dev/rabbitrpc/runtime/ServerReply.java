package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reply to one request: built from what the dispatcher answers, published on the request's
 * {@code reply_to} with its {@code correlation_id}, and the request settled (acked, or rejected)
 * on its intake's channel — at most once, whatever fails after it. Then the handler's time goes to
 * the intake's {@link FlowControl}.
 *
 * <p>Threading: made on a worker; answered on the worker or, for an async handler, on whatever
 * thread completes its future; {@link #failed} on the worker. The once-only guard is atomic; the
 * channel work takes {@link IntakeChannel}'s lock; the flow control's change never runs here.
 */
final class ServerReply implements ReplySink {
  private static final Logger log = LoggerFactory.getLogger(ServerReply.class);

  private final IntakeChannel channel;
  private final FlowControl flow;
  private final Dispatcher dispatcher;
  private final LongAdder failedOneWay;
  private final String queue;
  private final long deliveryTag;
  private final String replyTo;
  private final String correlationId;
  private final String contentType;
  private final AtomicBoolean sent = new AtomicBoolean();
  /** Items published, for a streaming request; -1 for any other (then the reply has no {@code rpc-stream-end}). */
  private volatile long streamed = -1;
  /** When its handling started on a worker: how long the handler took is what drives the prefetch. */
  private final long startedNanos;

  ServerReply(IntakeChannel channel, FlowControl flow, Dispatcher dispatcher, LongAdder failedOneWay, String queue,
      long deliveryTag, AMQP.BasicProperties request) {
    this.channel = channel;
    this.flow = flow;
    this.dispatcher = dispatcher;
    this.failedOneWay = failedOneWay;
    this.queue = queue;
    this.deliveryTag = deliveryTag;
    this.replyTo = request.getReplyTo();
    this.correlationId = request.getCorrelationId();
    // The reply is in the request's format (plain text answers plain text), JSON for one the server cannot read.
    this.contentType = WireFormat.ofReplyTo(request.getContentType()).contentType;
    this.startedNanos = flow.now();
  }

  /** Whether a request says where its reply goes; one without is run only if its method is {@code @OneWay}. */
  static boolean hasReplyTo(String replyTo) {
    return replyTo != null && !replyTo.isEmpty();
  }

  @Override
  public boolean expectsReply() {
    return hasReplyTo(replyTo);
  }

  @Override
  public void startStream() {
    streamed = 0;
  }

  @Override
  public void item(long seq, byte[] body) throws java.io.IOException {
    channel.publish(replyTo, WireHeaders.streamItem(contentType, correlationId, dispatcher.streams.control(), seq), body);
    streamed = seq + 1;
  }

  /** A request without reply_to that is not a valid one-way request: rejected, as before it ran. */
  @Override
  public void reject(String why) {
    if (!sent.compareAndSet(false, true)) {
      return;
    }
    log.warn("rejected a request on {} (correlation id {}): {}", queue, correlationId, why);
    channel.discard(deliveryTag);
  }

  /**
   * Publishes the reply to the request's reply_to with its correlation id, then acks the request.
   * A one-way request's outcome is not sent: a failure is logged and counted, then it is acked.
   */
  @Override
  public void reply(String status, byte[] replyBody) {
    send(status, replyBody, -1, Map.of());
  }

  /** With the application headers the server's interceptors set, beside the protocol's. */
  @Override
  public void reply(String status, byte[] replyBody, Map<String, String> replyHeaders) {
    send(status, replyBody, -1, replyHeaders);
  }

  /** With {@code rpc-expired-ms}: the request was not run, its deadline had passed (docs/PROTOCOL.md §3). */
  @Override
  public void replyExpired(String status, byte[] replyBody, long expiredMillis) {
    send(status, replyBody, expiredMillis, Map.of());
  }

  /** With {@code rpc-replayed}: the reply an earlier attempt of the call got, stored and sent again. */
  @Override
  public void replayed(String status, byte[] replyBody, Map<String, String> replyHeaders) {
    send(status, replyBody, REPLAYED, replyHeaders);
  }

  /** {@link #send}'s {@code expiredMillis} for a replayed reply. */
  private static final long REPLAYED = -2;

  /**
   * @param expiredMillis for a request skipped as expired, by how much; {@link #REPLAYED} for a replayed reply; else -1
   * @param replyHeaders application headers for the reply (names outside {@code rpc-}, checked when set)
   */
  private void send(String status, byte[] replyBody, long expiredMillis, Map<String, String> replyHeaders) {
    if (!sent.compareAndSet(false, true)) {
      return;
    }
    // The handler's time ends here: the wait for the channel's lock and the writes are the channel's, not its.
    long handledNanos = flow.now() - startedNanos;
    if (!expectsReply()) {
      if (!status.equals(WireHeaders.STATUS_OK)) {
        failedOneWay.increment();
        log.warn("a one-way request on {} (correlation id {}) failed with {}: {}", queue, correlationId, status,
            new String(replyBody, StandardCharsets.UTF_8));
      }
      channel.ack(deliveryTag);
    } else {
      AMQP.BasicProperties reply = expiredMillis == REPLAYED
          ? WireHeaders.replayed(contentType, correlationId, status, replyHeaders)
          : WireHeaders.reply(contentType, correlationId, status, expiredMillis, replyHeaders, streamed);
      channel.replyAndAck(deliveryTag, replyTo, reply, replyBody);
    }
    flow.onRequestDone(handledNanos);
  }

  /** Handling threw before the reply was sent: answer INTERNAL, or at least settle the request. */
  void failed(String requestContentType, Throwable failure) {
    try {
      dispatcher.replyUnexpected(requestContentType, failure, this);
    } catch (Throwable again) {
      log.error("could not answer a failed request on {}", queue, again);
    } finally {
      if (sent.compareAndSet(false, true)) {
        channel.discard(deliveryTag);
      }
    }
  }
}
