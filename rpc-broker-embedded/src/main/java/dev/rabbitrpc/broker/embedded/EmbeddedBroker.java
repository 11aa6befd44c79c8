package dev.rabbitrpc.broker.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.SystemLauncherListener;
import org.apache.qpid.server.model.Broker;
import org.apache.qpid.server.model.Port;
import org.apache.qpid.server.model.State;
import org.apache.qpid.server.model.SystemConfig;
import org.apache.qpid.server.model.port.AmqpPort;

/**
 * An AMQP 0-9-1 broker running inside this JVM (Apache Qpid Broker-J with an in-memory virtual
 * host), for demos and tests on machines without RabbitMQ.
 *
 * <pre>{@code
 * try (EmbeddedBroker broker = EmbeddedBroker.start()) {
 *   RpcClient client = RpcClient.builder().uri(broker.uri()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>The broker listens on 127.0.0.1 only, on an ephemeral port unless one is given, and accepts
 * the user {@code guest} with password {@code guest} on the default virtual host. It keeps
 * messages in memory; the few files Qpid needs go to a temporary directory that {@link #close()}
 * removes. It is not RabbitMQ: it has no direct reply-to and reads {@code expiration} differently
 * (rabbit-rpc detects it and adapts), and it is meant for development, not production.
 *
 * <p>This class is thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final String CONFIG = "broker-config.json";

  private final SystemLauncher launcher;
  private final Path workDir;
  private final int port;
  private final Duration startupTime;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedBroker(SystemLauncher launcher, Path workDir, int port, Duration startupTime) {
    this.launcher = launcher;
    this.workDir = workDir;
    this.port = port;
    this.startupTime = startupTime;
  }

  /**
   * Starts a broker on an ephemeral port of 127.0.0.1.
   *
   * @throws IllegalStateException if the broker cannot start
   */
  public static EmbeddedBroker start() {
    return start(0);
  }

  /**
   * Starts a broker on the given port of 127.0.0.1, or on an ephemeral port if {@code port} is 0.
   *
   * @throws IllegalArgumentException if {@code port} is not between 0 and 65535
   * @throws IllegalStateException if the broker cannot start, e.g. because the port is in use
   */
  public static EmbeddedBroker start(int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    long began = System.nanoTime();
    Path workDir;
    try {
      workDir = Files.createTempDirectory("rabbit-rpc-broker-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the embedded broker's temporary directory", e);
    }
    AtomicReference<Broker<?>> broker = new AtomicReference<>();
    SystemLauncher launcher = new SystemLauncher(new SystemLauncherListener.DefaultSystemLauncherListener() {
      @Override
      public void onContainerResolve(SystemConfig<?> systemConfig) {
        if (systemConfig.getContainer() instanceof Broker) {
          broker.set((Broker<?>) systemConfig.getContainer());
        }
      }
    });
    try {
      launcher.startup(startupAttributes(workDir, port));
    } catch (Exception e) {
      stop(launcher, workDir);
      throw new IllegalStateException("cannot start the embedded broker on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
    int bound = boundPort(broker.get());
    if (bound <= 0) {
      stop(launcher, workDir);
      throw new IllegalStateException("the embedded broker cannot listen on 127.0.0.1:" + port
          + (port == 0 ? "" : " (is the port in use, e.g. by RabbitMQ?)"));
    }
    return new EmbeddedBroker(launcher, workDir, bound, Duration.ofNanos(System.nanoTime() - began));
  }

  private static Map<String, Object> startupAttributes(Path workDir, int port) {
    URL config = EmbeddedBroker.class.getResource(CONFIG);
    if (config == null) {
      throw new IllegalStateException(CONFIG + " is missing from the classpath of " + EmbeddedBroker.class.getName());
    }
    Map<String, Object> context = new HashMap<>();
    context.put("qpid.amqp_port", Integer.toString(port));
    // Everything Qpid might write stays in the temporary directory (QPID_WORK defaults to ./work).
    context.put("QPID_WORK", workDir.toString());
    context.put(SystemConfig.QPID_WORK_DIR, workDir.toString());
    context.put("qpid.home_dir", workDir.toString());
    context.put(SystemConfig.DEFAULT_PREFERENCE_STORE_ATTRIBUTES, "{\"type\": \"Noop\"}");
    // Qpid closes a 0-9-1 connection that publishes an unroutable mandatory message unless told
    // not to; RabbitMQ returns it (basic.return), which is what rabbit-rpc turns into UNAVAILABLE.
    context.put(AmqpPort.CLOSE_WHEN_NO_ROUTE, "false");
    // Qpid puts a message rejected with requeue=false back on its queue (0-9-1), which loops, unless
    // queues have a delivery limit; with a limit of 1 it drops (or dead-letters) it as RabbitMQ
    // does. Redelivery after a consumer's channel closes is not affected.
    context.put("queue.maximumDeliveryAttempts", "1");

    Map<String, Object> attributes = new HashMap<>();
    attributes.put(SystemConfig.TYPE, "Memory");
    attributes.put(SystemConfig.INITIAL_CONFIGURATION_LOCATION, config.toExternalForm());
    attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
    attributes.put(SystemConfig.CONTEXT, context);
    return attributes;
  }

  private static int boundPort(Broker<?> broker) {
    if (broker == null) {
      return -1;
    }
    for (Port<?> port : broker.getPorts()) {
      if (port instanceof AmqpPort && port.getState() == State.ACTIVE) {
        return ((AmqpPort<?>) port).getBoundPort();
      }
    }
    return -1;
  }

  /** The broker's URI with its credentials: {@code amqp://guest:guest@127.0.0.1:PORT}. */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + port;
  }

  /** The port the broker listens on, on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** How long {@link #start()} took, from the call to a listening broker. */
  public Duration startupTime() {
    return startupTime;
  }

  /** The temporary directory this broker writes to (tests check it is removed on close). */
  Path workDirectory() {
    return workDir;
  }

  /** Stops the broker (its connections close) and removes its temporary directory. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      stop(launcher, workDir);
    }
  }

  private static void stop(SystemLauncher launcher, Path workDir) {
    try {
      launcher.shutdown();
    } finally {
      deleteRecursively(workDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
          if (failure != null) {
            throw failure;
          }
          Files.delete(directory);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the embedded broker's directory " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedBroker[127.0.0.1:" + port + (closed.get() ? ", closed]" : "]");
  }
}
