package dev.rabbitrpc.examples.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The example as a user runs it: the repackaged jar in a child JVM, against the RabbitMQ
 * {@code RPC_AMQP_URI} names (else 127.0.0.1:5672, guest/guest), on queues of its own so that
 * concurrent builds never share one.
 */
class ExampleJarIT {
  private static final Path JAR = Path.of("target", "rabbit-rpc-spring-example.jar");
  /** The broker, as amqp-client reads {@code RPC_AMQP_URI}; its settings are passed to the example as Boot's. */
  private static final ConnectionFactory BROKER = broker();

  private static ConnectionFactory broker() {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    String uri = System.getenv("RPC_AMQP_URI");
    if (uri != null && !uri.isBlank()) {
      try {
        factory.setUri(uri.trim());
      } catch (Exception e) {
        throw new IllegalStateException("RPC_AMQP_URI is not an AMQP URI: " + e.getMessage(), e);
      }
    }
    return factory;
  }

  @Test
  void servesAndCallsFibonacciAndTheOrderServiceThenExits() throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(JAR), JAR + " is built by the package phase");
    String suffix = UUID.randomUUID().toString();
    Path output = Files.createTempFile("example-spring", ".out");
    Process process = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(),
            "--spring.rabbitmq.host=" + BROKER.getHost(),
            "--spring.rabbitmq.port=" + BROKER.getPort(),
            "--spring.rabbitmq.username=" + BROKER.getUsername(),
            "--spring.rabbitmq.password=" + BROKER.getPassword(),
            "--spring.rabbitmq.virtual-host=" + BROKER.getVirtualHost(),
            "--rabbit-rpc.queues.rpc_queue=rpc_queue-" + suffix,
            "--rabbit-rpc.queues.spring_orders=spring_orders-" + suffix,
            "--rabbit-rpc.shutdown-grace=2s",
            "30")
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    try {
      boolean exited = process.waitFor(120, TimeUnit.SECONDS);
      String printed = Files.readString(output, StandardCharsets.UTF_8);
      assertTrue(exited, "the example exits by itself; printed:\n" + printed);
      assertEquals(0, process.exitValue(), printed);
      List<String> lines = printed.lines().toList();
      assertTrue(lines.containsAll(List.of(
          " [x] Awaiting RPC requests",
          " [x] Requesting fib(30)",
          " [.] fib(30)",
          " [.] Got 832040",
          " [.] Got Quote[line=Line[sku=book, quantity=2], total=25.00]",
          " [.] Got OutOfStockException: ink is out of stock",
          " [.] Got [Quote[line=Line[sku=pen, quantity=3], total=3.60], Quote[line=Line[sku=book, quantity=1], total=12.50]]",
          // fib, quote(book), quote(ink) refused with OutOfStockException, quoteAll: the starter's observations.
          " [.] rabbit.rpc.server requests by rpc.status_code: {APPLICATION_ERROR=1, OK=3}")),
          printed);
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(output);
      deleteQueues("rpc_queue-" + suffix, "spring_orders-" + suffix);
    }
  }

  /** The example's servers declared these durable queues; leave the shared broker as it was. */
  private static void deleteQueues(String... queues) throws IOException {
    try (Connection connection = BROKER.newConnection(); Channel channel = connection.createChannel()) {
      for (String queue : queues) {
        channel.queueDelete(queue);
      }
    } catch (TimeoutException e) {
      throw new IOException(e);
    }
  }
}
