package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * The seam under the call pipeline: what {@link Sender} and {@link CallEngine} need of a broker —
 * connect (blocking within a deadline, or in the background), publish a request on a channel whose
 * replies come back to the {@link ReplyListener} the transport was made with (replies, returns, a
 * lost channel or connection), publish a one-way request with the broker's confirm, and say
 * whether the broker blocks publishers. {@link AmqpTransport} is the AMQP 0.9.1 one; the unit tests
 * use an in-memory fake, so the pipeline's logic is tested without a broker; another protocol
 * (AMQP 1.0 on RabbitMQ 4.x) would be another implementation.
 *
 * <p>Implementations are thread-safe; the methods that connect may block, never past the deadline given.
 */
interface ClientTransport {
  /** The broker, for messages ({@code amqp://host:port/vhost}). */
  String brokerDescription();

  boolean isConnected();

  /** Connects in the background if not connected; the future completes when connected, or fails typed. */
  CompletableFuture<?> connectAsync();

  /** @throws dev.rabbitrpc.api.RpcException {@code UNAVAILABLE} while the broker blocks publishers */
  void checkNotBlocked();

  /** Whether the broker is RabbitMQ (its {@code expiration} is a TTL; elsewhere requests get none). */
  boolean connectedToRabbitMq();

  /**
   * A channel to publish requests on, connecting first if needed, never past {@code deadline}.
   *
   * @throws dev.rabbitrpc.api.RpcException {@code UNAVAILABLE} or {@code DEADLINE_EXCEEDED} if it cannot
   */
  RequestChannel requestChannel(Deadline deadline);

  /** As {@link #requestChannel}, for one-way requests that wait for the broker's publisher confirm. */
  OneWayPublisher oneWayPublisher(Deadline deadline);

  /** Where requests are published; their replies come to the transport's {@link ReplyListener}. */
  interface RequestChannel {
    /** The {@code reply_to} of requests sent on this channel. */
    String replyTo();

    /** Publishes {@code mandatory}: a request no queue takes comes back as a return. */
    void publish(String queue, AMQP.BasicProperties properties, byte[] body) throws IOException;

    /** Tells the servers of {@code queue} that the caller gave up on a call; best effort, never throws. */
    void publishCancel(String queue, String correlationId, String key);

    /**
     * Sends a stream's server a control message (credit, or a cancel) at the address its items came
     * from, through the default exchange; best effort, never throws (a lost credit ends the stream at
     * its idle timeout).
     */
    void publishControl(String address, AMQP.BasicProperties properties);
  }

  /** Publishes one-way requests; each future completes when the broker confirmed it, or fails typed. */
  interface OneWayPublisher {
    CompletableFuture<Object> publish(String queue, AMQP.BasicProperties properties, byte[] body) throws IOException;
  }
}
