package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RpcBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The integration tests' helpers on the broker that {@link dev.rabbitrpc.test.RpcBrokerExtension}
 * chose for this run (RabbitMQ, or the embedded broker): clients, raw connections, queue
 * inspection. Each test makes one from the {@link RpcBroker} it is given, which closes what the test
 * made and fails the test if a client still has calls pending.
 */
final class TestBroker {
  private final RpcBroker broker;
  /** For inspecting queues: one connection, a fresh channel per question (a 404 closes the channel). */
  private Connection inspector;

  TestBroker(RpcBroker broker) {
    this.broker = broker;
  }

  /** The broker's URI, credentials included. */
  String uri() {
    return broker.uri();
  }

  /** Whether the broker is RabbitMQ (else the embedded Qpid broker). */
  boolean isRabbitMq() {
    return broker.isRabbitMq();
  }

  /** A queue name no other test (or test run) uses. */
  static String uniqueQueue(String prefix) {
    return "test." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A client on the test broker with a short default timeout. */
  RpcClient client() {
    return client(UnaryOperator.identity());
  }

  /**
   * A client on the test broker, configured further by {@code configure}. Its connection factory
   * is the one {@code uri(..)} gives a user, with one difference: it waits up to 30 s (not 5 s) for
   * the broker's connection.start. The RabbitMQ 4.3 node, with a suite's connection and queue churn
   * on a loaded 2-core machine beside four other broker nodes, once took longer than 5 s to greet a
   * new connection, and a test that did nothing wrong failed to connect. Tests that set a factory
   * of their own (or a URI) in {@code configure} get theirs.
   */
  RpcClient client(UnaryOperator<RpcClient.Builder> configure) {
    return broker.newClient(builder -> configure.apply(builder.connectionFactory(patientFactory())));
  }

  private ConnectionFactory patientFactory() {
    ConnectionFactory factory = ClientSettings.factoryFor(broker.uri());
    factory.setHandshakeTimeout(60_000);
    return factory;
  }

  /** A plain amqp-client connection, for raw peers; closed after the test. */
  Connection rawConnection() throws Exception {
    return broker.newConnection();
  }

  void closeAfterTest(AutoCloseable resource) {
    broker.closeAfterTest(resource);
  }

  /**
   * Deletes a queue a test made (best effort), now and again after the test's clients are closed,
   * since a server still open declares its deleted queue again.
   */
  void deleteQueue(String queue) throws Exception {
    broker.deleteAfterTest(queue);
    Channel channel = rawConnection().createChannel();
    try {
      channel.queueDelete(queue);
      channel.close();
    } catch (IOException notThere) {
      // RabbitMQ deletes a missing queue without a word; Qpid answers 404 and closes the channel.
    }
  }

  /** Messages ready in a queue, asked on a fresh channel each time. */
  int messageCount(String queue) {
    return declarePassive(queue).getMessageCount();
  }

  /** Consumers of a queue, asked on a fresh channel each time. */
  int consumerCount(String queue) {
    return declarePassive(queue).getConsumerCount();
  }

  private com.rabbitmq.client.AMQP.Queue.DeclareOk declarePassive(String queue) {
    try (Channel channel = inspector().createChannel()) {
      return channel.queueDeclarePassive(queue);
    } catch (Exception e) {
      throw new IllegalStateException("cannot inspect queue " + queue, e);
    }
  }

  private synchronized Connection inspector() throws Exception {
    if (inspector == null || !inspector.isOpen()) {
      inspector = rawConnection();
    }
    return inspector;
  }

  /**
   * Calls until the call succeeds, tolerating {@link dev.rabbitrpc.api.RpcException}s while a
   * connection recovers; bounded to 30 s, then the last failure is thrown.
   */
  static <T> T callUntilAnswered(java.util.function.Supplier<T> call) throws InterruptedException {
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return call.get();
      } catch (dev.rabbitrpc.api.RpcException e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        Thread.sleep(100); // retry interval while the client reconnects
      }
    }
  }

  /** A service nobody serves, for {@link #connect}; its own timeout, whatever the client's default. */
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  interface Nobody {
    String ping();
  }

  /**
   * Connects {@code client} and opens its call channel by one call to a queue that does not exist
   * (the broker returns it: {@code UNAVAILABLE}). A client connects lazily, and on a cold machine
   * connecting takes hundreds of ms: a test that times a call makes this one first, so that the
   * window it measures holds the call under test and not the connection.
   */
  static void connect(RpcClient client) {
    Nobody nobody = client.proxy(Nobody.class, uniqueQueue("nobody"));
    assertEquals(RpcException.Code.UNAVAILABLE, assertThrows(RpcException.class, nobody::ping).code());
  }

  /** Waits until {@code condition} holds, failing after {@code timeout}. */
  static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "timed out after " + timeout.toMillis() + " ms waiting for " + what);
      Thread.sleep(10); // polling interval of a bounded wait, not a settle delay
    }
  }
}
