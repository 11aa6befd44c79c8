package dev.rabbitrpc.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streaming written by hand with amqp-client, the baseline of {@link Streaming}: a server that, for
 * each request, publishes {@code count} messages (the item's JSON, the bytes rabbit-rpc sends for
 * an item) to the request's {@code reply_to} from its consumer callback and then one end message; a
 * client on direct reply-to ({@code amq.rabbitmq.reply-to}, auto-ack) that decodes each item with
 * Jackson and counts them until the end. No flow control: the server publishes as fast as the
 * broker takes messages, whatever the reader does; no sequence check, deadline or cancel either.
 *
 * <p>{@link Server} publishes from its one consumer thread; {@link Client} runs one stream at a
 * time and is not thread-safe.
 */
final class RawStreamPeer {
  private static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
  private static final String COUNT = "count";
  private static final String END = "end";

  private RawStreamPeer() {}

  /** The hand-written streaming server on an exclusive queue of its own. */
  static final class Server implements AutoCloseable {
    private final Channel channel;
    private final String queue;

    /** {@code items}: the body to publish per item, by the request's size in bytes. */
    Server(Connection connection, String queue, Map<Integer, byte[]> items) throws IOException {
      this.queue = queue;
      channel = connection.createChannel();
      channel.queueDeclare(queue, false, true, true, null); // exclusive: RabbitMQ 4.3 refuses transient shared queues
      channel.basicConsume(queue, true, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties request, byte[] body)
            throws IOException {
          int count = ((Number) request.getHeaders().get(COUNT)).intValue();
          byte[] item = items.get(Integer.parseInt(new String(body, java.nio.charset.StandardCharsets.US_ASCII)));
          AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
              .correlationId(request.getCorrelationId()).build();
          for (int i = 0; i < count; i++) {
            channel.basicPublish("", request.getReplyTo(), properties, item);
          }
          channel.basicPublish("", request.getReplyTo(), new AMQP.BasicProperties.Builder()
              .correlationId(request.getCorrelationId()).headers(Map.of(END, count)).build(), new byte[0]);
        }
      });
    }

    String queue() {
      return queue;
    }

    @Override
    public void close() throws IOException, TimeoutException {
      if (channel.isOpen()) {
        channel.close();
      }
    }
  }

  /** The hand-written streaming client: one channel, one stream at a time. */
  static final class Client implements AutoCloseable {
    private final Channel channel;
    private final String queue;
    private final AtomicLong ids = new AtomicLong();
    private volatile Receiving current;

    private record Receiving(String id, AtomicLong items, CountDownLatch end) {}

    Client(Connection connection, String queue, ObjectMapper mapper) throws IOException {
      this.queue = queue;
      channel = connection.createChannel();
      channel.basicConsume(DIRECT_REPLY_TO, true, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
          Receiving receiving = current;
          if (receiving == null || !receiving.id().equals(properties.getCorrelationId())) {
            return;
          }
          if (properties.getHeaders() != null && properties.getHeaders().containsKey(END)) {
            receiving.end().countDown();
          } else {
            mapper.readValue(body, Payload.class); // decoded, as a user's reader would
            receiving.items().incrementAndGet();
          }
        }
      });
    }

    /** Asks for {@code count} items of {@code size} bytes and waits for the end; returns the items read. */
    long stream(int count, int size, long timeoutMillis) throws Exception {
      Receiving receiving = new Receiving(Long.toString(ids.incrementAndGet()), new AtomicLong(), new CountDownLatch(1));
      current = receiving;
      channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(receiving.id())
          .replyTo(DIRECT_REPLY_TO).headers(Map.of(COUNT, count)).build(),
          Integer.toString(size).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      if (!receiving.end().await(timeoutMillis, TimeUnit.MILLISECONDS)) {
        throw new TimeoutException("raw stream: no end within " + timeoutMillis + " ms, " + receiving.items() + " items");
      }
      if (receiving.items().get() != count) {
        throw new IllegalStateException("raw stream: " + receiving.items() + " items, expected " + count);
      }
      return count;
    }

    @Override
    public void close() throws IOException, TimeoutException {
      if (channel.isOpen()) {
        channel.close();
      }
    }
  }
}
