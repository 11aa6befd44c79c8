package dev.rabbitrpc.test;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.broker.embedded.EmbeddedBroker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker every test of this JVM uses: located or started once, on first need, and stopped
 * (if it was started here) when the test run ends.
 *
 * <p>Immutable and thread-safe.
 */
final class SharedBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedBroker.class);
  private static final int PROBE_TIMEOUT_MS = 1_000;

  final BrokerChoice choice;
  /** The broker's URI, credentials included; null when the choice is to skip or fail. */
  final String uri;
  /** What and where the broker is, without credentials: for logs and messages. */
  final String description;
  /** Whether the broker says it is RabbitMQ (server property {@code product}). */
  final boolean rabbitMq;
  private final AutoCloseable owned;

  /** A broker started (or found) for the tests; closing {@code stop} stops it if it was started. */
  static final class Started {
    final String uri;
    final String what;
    final AutoCloseable stop;

    Started(String uri, String what, AutoCloseable stop) {
      this.uri = uri;
      this.what = what;
      this.stop = stop;
    }
  }

  private SharedBroker(BrokerChoice choice, String uri, String description, boolean rabbitMq, AutoCloseable owned) {
    this.choice = choice;
    this.uri = uri;
    this.description = description;
    this.rabbitMq = rabbitMq;
    this.owned = owned;
  }

  /** Decides with the real probes (environment, a TCP probe of localhost, Docker) and starts the choice. */
  static SharedBroker resolve(BrokerChoice.Mode mode) {
    return start(BrokerChoice.decide(mode, new SystemProbes()));
  }

  static SharedBroker start(BrokerChoice choice) {
    if (choice.kind == BrokerChoice.Kind.SKIP || choice.kind == BrokerChoice.Kind.FAIL) {
      log.warn("rabbit-rpc tests have no broker: {}", choice.reason);
      return new SharedBroker(choice, null, "no broker", false, null);
    }
    Started started;
    switch (choice.kind) {
      case EMBEDDED:
        EmbeddedBroker embedded = EmbeddedBroker.start();
        started = new Started(embedded.uri(), "the embedded broker (started in "
            + embedded.startupTime().toMillis() + " ms)", embedded);
        break;
      case CONTAINER:
        started = ContainerBroker.start(System.getProperty(ContainerBroker.IMAGE_PROPERTY, ContainerBroker.DEFAULT_IMAGE));
        break;
      default:
        started = new Started(choice.uri, choice.kind == BrokerChoice.Kind.URI ? BrokerChoice.URI_ENV : "the local broker", null);
    }
    try {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(started.uri);
      String address = factory.getHost() + ":" + factory.getPort();
      Object product;
      Object version;
      try (Connection connection = factory.newConnection("rabbit-rpc test broker probe")) {
        product = connection.getServerProperties().get("product");
        version = connection.getServerProperties().get("version");
      }
      boolean rabbitMq = product != null && product.toString().contains("RabbitMQ");
      String description = product + " " + version + " at " + address + ", " + started.what;
      log.info("rabbit-rpc tests use {} — {}", description, choice.reason);
      return new SharedBroker(choice, started.uri, description, rabbitMq, started.stop);
    } catch (Exception e) {
      closeQuietly(started.stop);
      throw new ExtensionConfigurationException("rabbit-rpc tests cannot use " + started.what + " (chosen because "
          + choice.reason + "): " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  /** Whether tests can run on it (else {@link BrokerChoice#reason} says why not). */
  boolean available() {
    return uri != null;
  }

  /** Stops the broker if it was started for the tests; a failure to stop is logged. */
  @Override
  public void close() {
    closeQuietly(owned);
  }

  private static void closeQuietly(AutoCloseable resource) {
    if (resource != null) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("could not stop the test broker: {}", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /** The real probes: this process's environment, a TCP connect, Testcontainers' Docker check. */
  static final class SystemProbes implements BrokerChoice.Probes {
    @Override
    public String env(String name) {
      return System.getenv(name);
    }

    @Override
    public boolean reachable(String host, int port) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), PROBE_TIMEOUT_MS);
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    @Override
    public Optional<String> dockerUnavailable() {
      // ContainerBroker names Testcontainers types: load it only when they are there.
      return testcontainersOnClasspath() ? ContainerBroker.dockerUnavailable()
          : Optional.of("Testcontainers is not on the test classpath");
    }

    private static boolean testcontainersOnClasspath() {
      try {
        Class.forName("org.testcontainers.DockerClientFactory", false, SharedBroker.class.getClassLoader());
        return true;
      } catch (ClassNotFoundException | LinkageError e) {
        return false;
      }
    }
  }
}
