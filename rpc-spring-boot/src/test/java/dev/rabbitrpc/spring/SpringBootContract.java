package dev.rabbitrpc.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.spring.TestServices.Book;
import dev.rabbitrpc.spring.TestServices.Catalog;
import dev.rabbitrpc.spring.TestServices.FriendlyGreeter;
import dev.rabbitrpc.spring.TestServices.Greeter;
import dev.rabbitrpc.spring.TestServices.Greeting;
import dev.rabbitrpc.spring.TestServices.HeldSlow;
import dev.rabbitrpc.spring.TestServices.Sharded;
import dev.rabbitrpc.spring.TestServices.ShardedImpl;
import dev.rabbitrpc.spring.TestServices.Slow;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.amqp.autoconfigure.ConnectionFactoryCustomizer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * What a Spring Boot application gets from the starter, through a real broker: exports, injected
 * proxies, health and the drain on shutdown. Subclasses say which broker ({@link #host()},
 * {@link #port()}) and give the context its connection with {@link #brokerProperties}.
 */
abstract class SpringBootContract {
  /** Unique per test JVM, so that concurrent builds on one broker never share a queue. */
  static final String GREETER_QUEUE = "spring-test-greeter-" + UUID.randomUUID();
  static final String CATALOG_QUEUE = "spring-test-catalog-" + UUID.randomUUID();
  /** The sockets of the cached contexts' connections (both classes: only one runs at a time). */
  static final CuttableSockets SOCKETS = new CuttableSockets();
  private static final Path VECTOR = Path.of("..", "docs", "protocol-vectors", "collections-and-records.json");

  @Autowired
  Greeter greeter;

  @Autowired
  FriendlyGreeter implementation;

  @Autowired
  RpcClient client;

  @Autowired
  @Qualifier("rabbitRpcHealthIndicator")
  HealthIndicator health;

  /** The class's context: its exports stop before their queue is deleted, or a server would declare it again. */
  private static ConfigurableApplicationContext context;
  private static String contextHost;
  private static int contextPort;

  @Autowired
  void rememberContext(ConfigurableApplicationContext applicationContext) {
    context = applicationContext;
    contextHost = host();
    contextPort = port();
  }

  @AfterAll
  static void closeContextAndDeleteItsQueue() throws Exception {
    if (context != null) {
      context.getBean(RpcExporter.class).stop(); // the context itself is Spring's test cache's to close
      deleteQueues(contextHost, contextPort, GREETER_QUEUE);
      context = null;
    }
  }

  static void brokerProperties(DynamicPropertyRegistry registry, String host, int port) {
    registry.add("spring.rabbitmq.host", () -> host);
    registry.add("spring.rabbitmq.port", () -> port);
    registry.add("rabbit-rpc.queues.spring-test-greeter", () -> GREETER_QUEUE);
    registry.add("rabbit-rpc.queues.spring-test-catalog", () -> CATALOG_QUEUE);
    registry.add("rabbit-rpc.timeout", () -> "10s");
    // An application's Jackson 3 settings that would change the bytes, were the codec the application's.
    registry.add("spring.jackson.mapper.sort-properties-alphabetically", () -> "true");
    registry.add("spring.jackson.property-naming-strategy", () -> "SNAKE_CASE");
  }

  abstract String host();

  abstract int port();

  @Test
  void injectsAProxyThatCallsTheExportedBean() {
    assertTrue(Proxy.isProxyClass(greeter.getClass()));
    assertEquals("Hello, Ada", greeter.greet("Ada"));
  }

  @Test
  void recordsTravelBothWays() throws UnknownNameException {
    assertEquals(new Greeting("Ada", "Good day, Ada"), greeter.formal("Ada"));
  }

  @Test
  void aDeclaredExceptionArrivesAsItsType() {
    UnknownNameException thrown = assertThrows(UnknownNameException.class, () -> greeter.formal(""));
    assertEquals("no name", thrown.getMessage());
  }

  @Test
  void asyncMethodsComplete() throws Exception {
    assertEquals("Hello, Grace", greeter.greetLater("Grace").get(10, TimeUnit.SECONDS));
  }

  @Test
  void servesOnTheRenamedQueue() throws Exception {
    try (RpcClient other = newClient()) {
      assertEquals("Hello, Lin", other.proxy(Greeter.class, GREETER_QUEUE).greet("Lin"));
    }
  }

  @Test
  void healthIsUpWithEveryExportServing() {
    Health now = health.health();
    assertEquals(Status.UP, now.getStatus());
    assertEquals(Map.of(GREETER_QUEUE, "SERVING"), now.getDetails().get("services"));
    Map<?, ?> clientDetails = (Map<?, ?>) now.getDetails().get("client");
    assertEquals(true, clientDetails.get("connected"));
    assertEquals(List.of(Greeter.class.getName(), Catalog.class.getName()), clientDetails.get("imported"));
  }

  @Test
  void theWireBytesAreTheProtocolVectorsWhateverTheApplicationsJackson3Settings(
      @Autowired ApplicationContext applicationContext, @Autowired Catalog catalog) throws Exception {
    assertTrue(applicationContext.getBeanNamesForType(tools.jackson.databind.json.JsonMapper.class).length > 0,
        "Boot configured a Jackson 3 mapper");
    JsonNode vector = new ObjectMapper().readTree(VECTOR.toFile());
    String requestBody = vector.at("/request/body").asText();
    byte[] replyBody = vector.at("/reply/body").asText().getBytes(StandardCharsets.UTF_8);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(host());
    factory.setPort(port());
    try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
      // A raw peer on the catalog's queue: it records the request and answers with the vector's reply bytes.
      // Durable and not exclusive: the client's consumer probe declares it passively on its own connection.
      channel.queueDeclare(CATALOG_QUEUE, true, false, false, null);
      CompletableFuture<String> received = new CompletableFuture<>();
      channel.basicConsume(CATALOG_QUEUE, true, (tag, delivery) -> {
        received.complete(new String(delivery.getBody(), StandardCharsets.UTF_8));
        AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .correlationId(delivery.getProperties().getCorrelationId())
            .headers(Map.of("rpc-protocol", 1, "rpc-status", "OK"))
            .build();
        channel.basicPublish("", delivery.getProperties().getReplyTo(), reply, replyBody);
      }, tag -> { });

      List<Book> books = List.of(new Book("Emma", "Jane Austen", 1815), new Book("Dracula", "Bram Stoker", 1897),
          new Book("Persuasion", "Jane Austen", 1817));
      Map<String, List<Book>> byAuthor = catalog.byAuthor(books);

      assertEquals(requestBody, received.get(10, TimeUnit.SECONDS));
      assertEquals(Map.of("Bram Stoker", List.of(books.get(1)), "Jane Austen", List.of(books.get(0), books.get(2))),
          byAuthor);
    } finally {
      deleteQueues(host(), port(), CATALOG_QUEUE);
    }
  }

  @Test
  void shutdownLetsARunningCallFinishWithinTheGrace() throws Exception {
    String queue = "spring-test-slow-" + UUID.randomUUID();
    ConfigurableApplicationContext app = new SpringApplicationBuilder(SlowApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.rabbitmq.host=" + host(), "spring.rabbitmq.port=" + port(),
            "rabbit-rpc.queues.spring-test-slow=" + queue, "rabbit-rpc.shutdown-grace=20s")
        .run();
    try (RpcClient caller = newClient()) {
      HeldSlow slow = app.getBean(HeldSlow.class);
      RpcServer server = app.getBean(RpcExporter.class).servers().get(0);
      CompletableFuture<String> call = caller.proxy(Slow.class, queue).held();
      assertTrue(slow.entered.await(10, TimeUnit.SECONDS), "the call reached the handler");

      Thread closer = new Thread(app::close, "context-close");
      closer.start();
      awaitState(server, RpcServer.State.CLOSING);
      // Held while the caller's consumer probe looks, twice, at the queue nobody consumes any more:
      // before taken notices, it failed the call UNAVAILABLE half a second into the drain.
      long probes = caller.stats().consumerProbes();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (caller.stats().consumerProbes() < probes + 2) {
        assertTrue(System.nanoTime() < end, "the caller's probe looked twice at the queue within 20 s");
        Thread.sleep(10); // polling interval of a bounded wait
      }
      assertFalse(call.isDone(), "the call still waits for its reply: " + call);
      slow.release.countDown();

      assertEquals("finished", call.get(10, TimeUnit.SECONDS));
      closer.join(TimeUnit.SECONDS.toMillis(20));
      assertFalse(closer.isAlive(), "the context closed");
      assertEquals(RpcServer.State.CLOSED, server.state());
    } finally {
      app.close();
      deleteQueues(host(), port(), queue);
    }
  }

  @Test
  void servesTheShardsItsPropertiesList() throws Exception {
    String queue = "spring-test-sharded-" + UUID.randomUUID();
    ConfigurableApplicationContext app = new SpringApplicationBuilder(ShardedApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.rabbitmq.host=" + host(), "spring.rabbitmq.port=" + port(),
            "rabbit-rpc.queues.spring-test-sharded=" + queue, "rabbit-rpc.shards.spring-test-sharded=0,2")
        .run();
    try (RpcClient caller = newClient()) {
      RpcServer server = app.getBean(RpcExporter.class).servers().get(0);
      assertEquals(List.of(queue + ".0", queue + ".2"), server.queues());
      Sharded sharded = caller.proxy(Sharded.class, queue);
      // Keys 7 and 0 go to shards 0 and 2 of 3 (CRC-32 of "7" and "0" modulo 3, docs/PROTOCOL.md).
      assertEquals("served 7", sharded.where(7));
      assertEquals("served 0", sharded.where(0));
    } finally {
      app.close();
      deleteQueues(host(), port(), queue + ".0", queue + ".2");
    }
  }

  RpcClient newClient() {
    return RpcClient.builder().uri("amqp://guest:guest@" + host() + ":" + port()).build();
  }

  static void deleteQueues(String host, int port, String... queues) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(host);
    factory.setPort(port);
    try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
      for (String queue : queues) {
        channel.queueDelete(queue);
      }
    }
  }

  /** Polls the health every 10 ms until it has {@code status}, for at most 30 s (recovery retries every second). */
  void awaitHealth(Status status) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Health now;
    while ((now = health.health()).getStatus() != status) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("health still " + now.getStatus() + " " + now.getDetails() + ", not " + status);
      }
      Thread.sleep(10);
    }
  }

  private static void awaitState(RpcServer server, RpcServer.State state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.state() != state) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("server still " + server.state() + ", not " + state + ", after 10 s");
      }
      Thread.sleep(10);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @ImportRpcClients(types = {Greeter.class, Catalog.class})
  @Import(FriendlyGreeter.class)
  static class GreeterApplication {
    /** Boot's hook on the amqp-client factory: rabbit-rpc's client connects through the same settings. */
    @Bean
    ConnectionFactoryCustomizer cuttableSockets() {
      return factory -> factory.setSocketFactory(SOCKETS);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(HeldSlow.class)
  static class SlowApplication {}

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(ShardedImpl.class)
  static class ShardedApplication {}
}
