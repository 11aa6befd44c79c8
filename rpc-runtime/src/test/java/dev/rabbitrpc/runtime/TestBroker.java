package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The broker the integration tests talk to ({@code RPC_AMQP_URI}, else RabbitMQ on localhost),
 * and the clients a test makes on it. Registered as an extension, it closes them after each test and
 * asserts that none of them has a call left pending.
 */
final class TestBroker implements AfterEachCallback {
  static final String URI = uri();

  private final List<RpcClient> clients = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();

  private static String uri() {
    String uri = System.getenv("RPC_AMQP_URI");
    return uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri;
  }

  /** A queue name no other test (or test run) uses. */
  static String uniqueQueue(String prefix) {
    return "test." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A client on the test broker with a short default timeout. */
  RpcClient client() {
    return client(builder -> builder);
  }

  /** A client on the test broker, configured further by {@code configure}. */
  RpcClient client(UnaryOperator<RpcClient.Builder> configure) {
    RpcClient client = configure.apply(RpcClient.builder().uri(URI).timeout(Duration.ofSeconds(10))).build();
    synchronized (clients) {
      clients.add(client);
    }
    return client;
  }

  /** A plain amqp-client connection, for raw peers; closed after the test. */
  Connection rawConnection() throws Exception {
    ConnectionFactory factory = RpcClient.Builder.factoryFor(URI);
    Connection connection = factory.newConnection("rabbit-rpc raw test peer");
    closeAfterTest(connection);
    return connection;
  }

  void closeAfterTest(AutoCloseable resource) {
    synchronized (resources) {
      resources.add(resource);
    }
  }

  /** Deletes a queue a test made (best effort). */
  void deleteQueue(String queue) throws Exception {
    try (Channel channel = rawConnection().createChannel()) {
      channel.queueDelete(queue);
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
    try (Channel channel = rawConnection().createChannel()) {
      return channel.queueDeclarePassive(queue);
    } catch (Exception e) {
      throw new IllegalStateException("cannot inspect queue " + queue, e);
    }
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

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      synchronized (clients) {
        for (RpcClient client : clients) {
          assertEquals(0, client.pendingCalls(), "calls left pending in " + client);
        }
      }
    } finally {
      synchronized (clients) {
        clients.forEach(RpcClient::close);
        clients.clear();
      }
      synchronized (resources) {
        for (AutoCloseable resource : resources) {
          try {
            resource.close();
          } catch (Exception alreadyClosed) {
            // best effort
          }
        }
        resources.clear();
      }
    }
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
