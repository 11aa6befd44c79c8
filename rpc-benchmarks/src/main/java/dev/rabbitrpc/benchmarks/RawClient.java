package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw baseline's client, written by hand the way a careful amqp-client user would: its own
 * channel, direct reply-to ({@code amq.rabbitmq.reply-to}, auto-ack), a correlation id from a
 * counter, and a map from correlation id to a future that the reply consumer completes. Publishes
 * are serialised on the channel (amqp-client channels must not publish from two threads at once).
 *
 * <p>Thread-safe; the harness gives each calling thread its own instance (one channel per thread).
 */
final class RawClient implements AutoCloseable {
  private static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
  private static final AtomicLong CLIENTS = new AtomicLong();

  private final Channel channel;
  private final String queue;
  private final Set<Property> properties;
  private final String idPrefix = Long.toString(CLIENTS.incrementAndGet(), 36) + "-";
  private final AtomicLong ids = new AtomicLong();
  private final ConcurrentHashMap<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();

  RawClient(Connection connection, String queue) throws IOException {
    this(connection, queue, false);
  }

  /**
   * A raw client; with {@code rpcProperties} its requests carry what rabbit-rpc's do (content type,
   * {@code rpc-protocol} and {@code rpc-deadline} headers, {@code expiration}, mandatory), to show
   * what those cost the broker apart from any client library work.
   */
  RawClient(Connection connection, String queue, boolean rpcProperties) throws IOException {
    this(connection, queue, rpcProperties ? EnumSet.allOf(Property.class) : EnumSet.noneOf(Property.class));
  }

  /** rabbit-rpc's request properties, which a raw client may add one by one to see what each costs. */
  enum Property { CONTENT_TYPE, HEADERS, EXPIRATION, MANDATORY }

  /** A raw client whose requests carry the given ones of rabbit-rpc's properties. */
  RawClient(Connection connection, String queue, Set<Property> properties) throws IOException {
    this.queue = queue;
    this.properties = properties.isEmpty() ? EnumSet.noneOf(Property.class) : EnumSet.copyOf(properties);
    this.channel = connection.createChannel();
    channel.basicConsume(DIRECT_REPLY_TO, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        CompletableFuture<byte[]> call = pending.remove(properties.getCorrelationId());
        if (call != null) {
          call.complete(body);
        }
      }
    });
  }

  /** Sends a request; the future completes with the reply body. */
  CompletableFuture<byte[]> send(byte[] body) throws IOException {
    String id = idPrefix + Long.toString(ids.incrementAndGet(), 36);
    CompletableFuture<byte[]> call = new CompletableFuture<>();
    pending.put(id, call);
    AMQP.BasicProperties.Builder properties = new AMQP.BasicProperties.Builder()
        .correlationId(id)
        .replyTo(DIRECT_REPLY_TO);
    if (this.properties.contains(Property.CONTENT_TYPE)) {
      properties.contentType("application/json");
    }
    if (this.properties.contains(Property.HEADERS)) {
      properties.headers(Map.of("rpc-protocol", 1, "rpc-deadline", System.currentTimeMillis() + 30_000));
    }
    if (this.properties.contains(Property.EXPIRATION)) {
      properties.expiration("30000");
    }
    synchronized (channel) {
      channel.basicPublish("", queue, this.properties.contains(Property.MANDATORY), properties.build(), body);
    }
    return call;
  }

  /** One blocking call. */
  byte[] call(byte[] body, long timeoutMillis) throws Exception {
    return send(body).get(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  int pending() {
    return pending.size();
  }

  @Override
  public void close() throws IOException, TimeoutException {
    if (channel.isOpen()) {
      channel.close();
    }
  }
}
