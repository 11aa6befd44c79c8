package dev.rabbitrpc.test;

import java.util.Locale;
import java.util.Optional;

/**
 * Which broker the tests of this JVM use, decided once from the mode ({@code rpc.test.broker}) and
 * what is there. The decision is pure: the probes are passed in, so that every branch can be
 * tested, Docker or not.
 *
 * <p>Order in {@code auto} mode: {@code RPC_AMQP_URI} → RabbitMQ on localhost:5672 if reachable →
 * a Testcontainers RabbitMQ if Docker is available → the embedded broker.
 *
 * <p>Immutable and thread-safe.
 */
final class BrokerChoice {
  static final String MODE_PROPERTY = "rpc.test.broker";
  static final String URI_ENV = "RPC_AMQP_URI";
  static final String LOCAL_URI = "amqp://guest:guest@localhost:5672";
  static final String LOCAL_HOST = "localhost";
  static final int LOCAL_PORT = 5672;

  /** What {@code rpc.test.broker} asks for. */
  enum Mode {
    /** The first broker there is, in the documented order; the embedded broker at worst. */
    AUTO,
    /** A real RabbitMQ ({@code RPC_AMQP_URI}, localhost, or a container); fails without one. */
    RABBITMQ,
    /** A RabbitMQ container; the tests are skipped when Docker is not available. */
    TESTCONTAINERS,
    /** The embedded broker, whatever else there is. */
    EMBEDDED;

    static Mode parse(String value) {
      if (value == null || value.isBlank()) {
        return AUTO;
      }
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(MODE_PROPERTY + " must be auto, rabbitmq, testcontainers or embedded, got '"
            + value + "'", e);
      }
    }
  }

  /** The broker chosen. */
  enum Kind {
    /** The broker {@code RPC_AMQP_URI} names. */
    URI,
    /** RabbitMQ listening on localhost:5672. */
    LOCAL_RABBITMQ,
    /** A RabbitMQ container started through Testcontainers. */
    CONTAINER,
    /** The in-process broker of {@code rpc-broker-embedded}. */
    EMBEDDED,
    /** None: the tests are skipped, for the reason given. */
    SKIP,
    /** None: the tests fail, for the reason given. */
    FAIL
  }

  /** What the decision looks at. Each probe is called at most once, and only when needed. */
  interface Probes {
    /** An environment variable, or null. */
    String env(String name);

    /** Whether something accepts TCP connections on this host and port. */
    boolean reachable(String host, int port);

    /** Empty when Docker (and Testcontainers) can be used, else why not. */
    Optional<String> dockerUnavailable();
  }

  final Kind kind;
  /** The broker's URI for {@link Kind#URI} and {@link Kind#LOCAL_RABBITMQ}, else null. */
  final String uri;
  /** Why this broker, in words for the log (or the skip or failure message). */
  final String reason;

  private BrokerChoice(Kind kind, String uri, String reason) {
    this.kind = kind;
    this.uri = uri;
    this.reason = reason;
  }

  static BrokerChoice decide(Mode mode, Probes probes) {
    String forced = MODE_PROPERTY + "=" + mode.name().toLowerCase(Locale.ROOT);
    if (mode == Mode.EMBEDDED) {
      return new BrokerChoice(Kind.EMBEDDED, null, forced);
    }
    if (mode == Mode.AUTO || mode == Mode.RABBITMQ) {
      String uri = probes.env(URI_ENV);
      if (uri != null && !uri.isBlank()) {
        return new BrokerChoice(Kind.URI, uri.trim(), URI_ENV + " is set (" + forced + ")");
      }
      if (probes.reachable(LOCAL_HOST, LOCAL_PORT)) {
        return new BrokerChoice(Kind.LOCAL_RABBITMQ, LOCAL_URI,
            "no " + URI_ENV + "; a broker answers on " + LOCAL_HOST + ":" + LOCAL_PORT + " (" + forced + ")");
      }
    }
    Optional<String> noDocker = probes.dockerUnavailable();
    if (noDocker.isEmpty()) {
      String why = mode == Mode.TESTCONTAINERS ? forced
          : "no " + URI_ENV + ", nothing on " + LOCAL_HOST + ":" + LOCAL_PORT + ", Docker is available (" + forced + ")";
      return new BrokerChoice(Kind.CONTAINER, null, why);
    }
    switch (mode) {
      case TESTCONTAINERS:
        return new BrokerChoice(Kind.SKIP, null, forced + " but Docker is not available: " + noDocker.get());
      case RABBITMQ:
        return new BrokerChoice(Kind.FAIL, null, forced + " but there is no RabbitMQ: " + URI_ENV + " is not set,"
            + " nothing answers on " + LOCAL_HOST + ":" + LOCAL_PORT + ", and Docker is not available ("
            + noDocker.get() + ")");
      default:
        return new BrokerChoice(Kind.EMBEDDED, null, "no " + URI_ENV + ", nothing on " + LOCAL_HOST + ":" + LOCAL_PORT
            + ", no Docker (" + noDocker.get() + ") (" + forced + ")");
    }
  }

  @Override
  public String toString() {
    return kind + ": " + reason;
  }
}
