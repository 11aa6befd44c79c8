package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hand-written amqp-client peer, as another team's client would be: it sends exactly the
 * properties and bytes a test gives it and reads replies from its own exclusive queue.
 */
final class RawPeer {
  /** A reply as it arrived. */
  record Reply(AMQP.BasicProperties properties, String body) {
    String status() {
      Object status = properties.getHeaders() == null ? null : properties.getHeaders().get("rpc-status");
      return status == null ? null : status.toString();
    }
  }

  final Channel channel;
  final String replyQueue;
  private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();

  RawPeer(Connection connection) throws IOException {
    channel = connection.createChannel();
    replyQueue = channel.queueDeclare().getQueue();
    channel.basicConsume(replyQueue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        replies.add(new Reply(properties, new String(body, StandardCharsets.UTF_8)));
      }
    });
  }

  /** Sends a JSON request as a v1 client would, with a fresh correlation id; returns that id. */
  String sendJson(String queue, String body) throws IOException {
    String id = UUID.randomUUID().toString();
    send(queue, new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .correlationId(id)
        .replyTo(replyQueue)
        .headers(Map.of("rpc-protocol", 1, "rpc-deadline", System.currentTimeMillis() + 10_000))
        .build(), body);
    return id;
  }

  void send(String queue, AMQP.BasicProperties properties, String body) throws IOException {
    channel.basicPublish("", queue, properties, body.getBytes(StandardCharsets.UTF_8));
  }

  /** The next reply, or an assertion failure after 10 s. */
  Reply reply() throws InterruptedException {
    Reply reply = replies.poll(10, TimeUnit.SECONDS);
    if (reply == null) {
      throw new AssertionError("no reply within 10 s");
    }
    return reply;
  }

  /** Whether a reply arrives within {@code millis}; for asserting that none does. */
  Reply replyWithin(long millis) throws InterruptedException {
    return replies.poll(millis, TimeUnit.MILLISECONDS);
  }
}
