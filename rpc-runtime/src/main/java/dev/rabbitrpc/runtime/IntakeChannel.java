package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Consumer;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One intake's channel: the replies and acks (or rejects) of the requests it delivered, the
 * {@code taken} notices owed to their callers, and its consumers.
 *
 * <p>Threading: its lock (this object) serialises what settles a request — a reply's publish and
 * the request's ack, a reject, the taken notices — which come from every worker and from whatever
 * thread completes an async handler's future, so that a reply and its ack are never interleaved
 * with another's and a taken notice never follows its reply. {@link #consume} and {@link #cancel}
 * take no lock of this class: a consumer is made on start (the server's lock) and replaced by a
 * prefetch change (on the prefetch executor, under {@link FlowControl}'s change lock), and those
 * synchronous broker round trips must not hold up the replies (docs/ARCHITECTURE.md, "Flow control").
 */
final class IntakeChannel {
  private static final Logger log = LoggerFactory.getLogger(IntakeChannel.class);
  private static final byte[] NO_BODY = new byte[0];

  /** What settles one request on the channel, under its lock. */
  interface Action {
    void run() throws IOException;
  }

  private final Channel channel;
  private final String queue;
  /** RabbitMQ: a request that cannot be answered is rejected (dead-lettered); other brokers: acked. */
  private final boolean rejectToDeadLetter;
  /** Run after each request is settled (or failed to be), outside the lock. */
  private final Runnable settled;
  /**
   * The requests held now whose callers read {@code taken} notices and have not had one, by
   * delivery tag (docs/PROTOCOL.md, "Closing a server"). Guarded by this.
   */
  private final Map<Long, AMQP.BasicProperties> owedNotices = new HashMap<>();

  IntakeChannel(Channel channel, String queue, boolean rejectToDeadLetter, Runnable settled) {
    this.channel = channel;
    this.queue = queue;
    this.rejectToDeadLetter = rejectToDeadLetter;
    this.settled = settled;
  }

  Channel channel() {
    return channel;
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  /** A request whose caller wants a taken notice if this server closes while holding it. */
  synchronized void oweNotice(long deliveryTag, AMQP.BasicProperties request) {
    owedNotices.put(deliveryTag, request);
  }

  /**
   * Tells each caller whose request this channel holds and who has not been told yet that this
   * server took it and may answer it within {@code graceMillis}; best effort.
   */
  synchronized void noticeTaken(long graceMillis) {
    if (owedNotices.isEmpty() || !channel.isOpen()) {
      return;
    }
    for (AMQP.BasicProperties request : owedNotices.values()) {
      try {
        channel.basicPublish("", request.getReplyTo(), false,
            WireHeaders.takenNotice(request.getCorrelationId(), graceMillis), NO_BODY);
      } catch (IOException | RuntimeException e) {
        log.debug("could not send a taken notice on {}: {}", queue, describe(e));
        break; // the channel is closing: its requests go back to the queue
      }
    }
    owedNotices.clear();
  }

  /** Publishes the reply, then acks its request. Never mandatory: RabbitMQ 3.10 returns replies to direct reply-to as NO_ROUTE. */
  void replyAndAck(long deliveryTag, String replyTo, AMQP.BasicProperties reply, byte[] body) {
    settle(deliveryTag, () -> {
      channel.basicPublish("", replyTo, false, reply, body);
      channel.basicAck(deliveryTag, false);
    });
  }

  /**
   * Publishes one item of a streaming reply to {@code replyTo}; not a settle (its request stays
   * held until the end marker is sent with {@link #replyAndAck}), on the same channel so that the
   * items and the end arrive in order.
   */
  synchronized void publish(String replyTo, AMQP.BasicProperties properties, byte[] body) throws IOException {
    if (!channel.isOpen()) {
      throw new IOException("the channel of " + queue + " is closed");
    }
    channel.basicPublish("", replyTo, false, properties, body);
  }

  void ack(long deliveryTag) {
    settle(deliveryTag, () -> channel.basicAck(deliveryTag, false));
  }

  /**
   * Drops a request that cannot be answered. RabbitMQ: rejected without requeue, so it goes to the
   * queue's dead-letter exchange if it has one. Other brokers (Qpid) may requeue a rejected message
   * into a hot loop, so there it is acknowledged and only logged.
   */
  void discard(long deliveryTag) {
    settle(deliveryTag, () -> {
      if (rejectToDeadLetter) {
        channel.basicReject(deliveryTag, false);
      } else {
        channel.basicAck(deliveryTag, false);
      }
    });
  }

  /** Settles nothing on the channel (it closes unacknowledged, the broker requeues), but counts the request as done. */
  void drop(long deliveryTag) {
    settle(deliveryTag, () -> { });
  }

  /** Runs {@code action} under the lock if the channel is open, then {@link #settled}, whatever happened. */
  void settle(long deliveryTag, Action action) {
    try {
      synchronized (this) {
        owedNotices.remove(deliveryTag); // answered (or dropped): a notice would come after the reply
        if (channel.isOpen()) {
          action.run();
        }
      }
    } catch (IOException | RuntimeException e) {
      // The broker requeues an unacked request when the channel closes; nothing more to do here.
      log.warn("could not reply on {}: {}", queue, describe(e));
    } finally {
      settled.run();
    }
  }

  /**
   * A consumer on the queue with this prefetch (per consumer: RabbitMQ's global, per-channel QoS is
   * not used): basic.qos, then basic.consume. Not under this channel's lock.
   *
   * @param arguments the consumer's arguments, or null
   * @return its consumer tag
   */
  String consume(int prefetch, Map<String, Object> arguments, Consumer consumer) throws IOException {
    channel.basicQos(prefetch);
    return arguments == null ? channel.basicConsume(queue, false, consumer)
        : channel.basicConsume(queue, false, "", false, false, arguments, consumer);
  }

  /** basic.cancel; not under this channel's lock. */
  void cancel(String consumerTag) throws IOException {
    channel.basicCancel(consumerTag);
  }

  /**
   * Closes the channel; one the broker closed already (a 404, a 406, a channel error) is aborted,
   * which makes amqp-client forget it: else it would bring it back on every connection recovery.
   */
  synchronized void close() {
    closeQuietly(channel, queue);
  }

  static void closeQuietly(Channel channel, String what) {
    try {
      if (channel.isOpen()) {
        channel.close();
      } else {
        channel.abort();
      }
    } catch (IOException | TimeoutException | RuntimeException e) {
      log.debug("close of {} failed: {}", what, describe(e));
    }
  }

  static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
