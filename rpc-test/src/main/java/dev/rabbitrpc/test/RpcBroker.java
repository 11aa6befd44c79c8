package dev.rabbitrpc.test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.opentest4j.AssertionFailedError;

/**
 * The broker a test runs against, and the clients, connections and queues the test makes on it.
 * Inject it as a parameter of a test, {@code @BeforeEach} or {@code @BeforeAll} method, or of
 * the constructor, of an {@link RpcBrokerTest} class. Everything made through it is closed after the test (after the
 * class, for {@code @BeforeAll}), and the test fails if one of its clients still has calls pending
 * then.
 *
 * <pre>{@code
 * @Test
 * void answersOnAPrivateQueue(RpcBroker broker) {
 *   String queue = broker.uniqueQueue("greeter");
 *   broker.client().export(Greeter.class, new FriendlyGreeter(), queue);
 *   assertEquals("Hello, Ada", broker.client().proxy(Greeter.class, queue).greet("Ada"));
 * }
 * }</pre>
 *
 * <p>This class is thread-safe.
 */
public final class RpcBroker {
  /** The default call timeout of test clients: long enough for a slow machine, short enough to fail fast. */
  public static final Duration TEST_TIMEOUT = Duration.ofSeconds(10);

  private final SharedBroker shared;
  private final List<RpcClient> clients = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<String> queues = new ArrayList<>();
  private RpcClient client;
  private boolean closed;

  RpcBroker(SharedBroker shared) {
    this.shared = shared;
  }

  /** The broker's URI, credentials included, e.g. {@code amqp://guest:guest@127.0.0.1:41234}. */
  public String uri() {
    return shared.uri;
  }

  /** Whether the broker is RabbitMQ (else it is the embedded broker, or another AMQP 0-9-1 broker). */
  public boolean isRabbitMq() {
    return shared.rabbitMq;
  }

  /**
   * The test's client: the one {@code RpcClient} parameters receive, made on first use with a
   * default timeout of {@link #TEST_TIMEOUT}.
   */
  public synchronized RpcClient client() {
    if (client == null) {
      client = newClient();
    }
    return client;
  }

  /** Another client on the broker, with a default timeout of {@link #TEST_TIMEOUT}. */
  public RpcClient newClient() {
    return newClient(UnaryOperator.identity());
  }

  /**
   * Another client on the broker, configured by {@code configure} (the builder comes with the
   * broker's URI and a timeout of {@link #TEST_TIMEOUT}).
   */
  public RpcClient newClient(UnaryOperator<RpcClient.Builder> configure) {
    RpcClient made = configure.apply(RpcClient.builder().uri(shared.uri).timeout(TEST_TIMEOUT)).build();
    synchronized (this) {
      checkOpen();
      clients.add(made);
    }
    return made;
  }

  /**
   * A queue name no other test or test run uses ({@code test.PREFIX.RANDOM}); the queue is deleted
   * after the test if it was made. Shared RabbitMQ brokers need such names for tests to run in
   * parallel.
   */
  public String uniqueQueue(String prefix) {
    String queue = "test." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    synchronized (this) {
      checkOpen();
      queues.add(queue);
    }
    return queue;
  }

  /**
   * Deletes {@code queue} after the test, once the test's clients are closed: a server that is
   * still open declares its queue again when it is deleted, so deleting earlier would not last.
   */
  public void deleteAfterTest(String queue) {
    synchronized (this) {
      checkOpen();
      queues.add(queue);
    }
  }

  /** A plain amqp-client connection to the broker, for raw peers; closed after the test. */
  public Connection newConnection() throws Exception {
    Connection connection = testFactory().newConnection("rabbit-rpc test peer");
    closeAfterTest(connection);
    return connection;
  }

  /** Closes {@code resource} after the test, before the clients are checked and closed. */
  public void closeAfterTest(AutoCloseable resource) {
    synchronized (this) {
      checkOpen();
      resources.add(resource);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the test that owned this broker handle is over");
    }
  }

  /**
   * After the test: fails if a client has calls pending, then closes everything the test made
   * and deletes its queues, whatever the outcome.
   */
  void verifyAndClose() throws Exception {
    List<RpcClient> ownClients;
    List<AutoCloseable> ownResources;
    List<String> ownQueues;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      ownClients = List.copyOf(clients);
      ownResources = List.copyOf(resources);
      ownQueues = List.copyOf(queues);
    }
    StringBuilder pending = new StringBuilder();
    for (RpcClient each : ownClients) {
      if (each.stats().pendingCalls() != 0) {
        pending.append(pending.length() == 0 ? "" : "; ").append(each.stats().pendingCalls()).append(" in ").append(each);
      }
    }
    Exception closing = null;
    for (AutoCloseable resource : ownResources) {
      closing = closeCollecting(resource, closing);
    }
    for (RpcClient each : ownClients) {
      closing = closeCollecting(each, closing);
    }
    if (!ownQueues.isEmpty()) {
      closing = deleteQueues(ownQueues, closing);
    }
    if (pending.length() > 0) {
      AssertionFailedError failure = new AssertionFailedError("calls left pending after the test: " + pending
          + " (a CompletableFuture nobody awaited, or a leak)");
      if (closing != null) {
        failure.addSuppressed(closing);
      }
      throw failure;
    }
    if (closing != null) {
      throw closing;
    }
  }

  /**
   * A factory for the test's own plain connections. amqp-client waits half its handshake timeout (10 s by
   * default) for the broker's connection.start; a broker busy with a suite's queue churn (RabbitMQ 4.3 writes
   * every declare and delete through Khepri) took longer than 5 s once on a loaded 2-core machine, and the
   * cleanup failed the test. 60 s keeps a slow broker from failing a test that did nothing wrong.
   */
  private ConnectionFactory testFactory() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(shared.uri);
    factory.setHandshakeTimeout(60_000);
    return factory;
  }

  private Exception deleteQueues(List<String> names, Exception failures) {
    try {
      try (Connection connection = testFactory().newConnection("rabbit-rpc test cleanup")) {
        for (String queue : names) {
          // One channel per queue: deleting a queue that was never made closes the channel (404).
          try (Channel channel = connection.createChannel()) {
            channel.queueDelete(queue);
          } catch (Exception notThere) {
            // the test never made this queue
          }
        }
      }
    } catch (Exception e) {
      return add(failures, e);
    }
    return failures;
  }

  private static Exception closeCollecting(AutoCloseable resource, Exception failures) {
    try {
      resource.close();
      return failures;
    } catch (com.rabbitmq.client.AlreadyClosedException alreadyClosed) {
      return failures;
    } catch (Exception e) {
      return add(failures, e);
    }
  }

  private static Exception add(Exception failures, Exception next) {
    if (failures == null) {
      return next;
    }
    failures.addSuppressed(next);
    return failures;
  }

  @Override
  public String toString() {
    return "RpcBroker[" + shared.description + "]";
  }
}
