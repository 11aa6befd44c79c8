package dev.rabbitrpc.broker.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded broker as an AMQP 0-9-1 peer sees it, through the RabbitMQ Java client. */
class EmbeddedBrokerTest {
  private static EmbeddedBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedBroker.start();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  private static Connection connect(String uri) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    return factory.newConnection("embedded broker test");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void acceptsGuestOnAnEphemeralLoopbackPortAndSaysItIsQpid() throws Exception {
    assertTrue(broker.port() > 0);
    assertEquals("amqp://guest:guest@127.0.0.1:" + broker.port(), broker.uri());
    try (Connection connection = connect(broker.uri())) {
      assertEquals("Apache Qpid Broker-J Core", connection.getServerProperties().get("product").toString());
    }
  }

  @Test
  void rejectsWrongCredentials() {
    assertThrows(Exception.class, () -> connect("amqp://guest:wrong@127.0.0.1:" + broker.port()).close());
  }

  @Test
  void carriesMessagesThroughAServerNamedExclusiveQueueWithTheirHeaders() throws Exception {
    try (Connection connection = connect(broker.uri())) {
      Channel channel = connection.createChannel();
      String queue = channel.queueDeclare().getQueue();
      long deadline = System.currentTimeMillis() + 5_000;
      channel.basicPublish("", queue, true, new AMQP.BasicProperties.Builder()
          .correlationId("c-1").headers(java.util.Map.of("rpc-deadline", deadline, "rpc-protocol", 1)).build(),
          "hello".getBytes(StandardCharsets.UTF_8));
      GetResponse got = awaitMessage(channel, queue, true);
      assertEquals("hello", new String(got.getBody(), StandardCharsets.UTF_8));
      assertEquals("c-1", got.getProps().getCorrelationId());
      assertEquals(deadline, ((Number) got.getProps().getHeaders().get("rpc-deadline")).longValue());
      assertEquals(1, ((Number) got.getProps().getHeaders().get("rpc-protocol")).intValue());
    }
  }

  @Test
  void returnsAnUnroutableMandatoryMessageAndKeepsTheConnectionOpen() throws Exception {
    try (Connection connection = connect(broker.uri())) {
      Channel channel = connection.createChannel();
      BlockingQueue<Return> returns = new ArrayBlockingQueue<>(1);
      channel.addReturnListener(returns::add);
      String nowhere = "nowhere-" + UUID.randomUUID();
      channel.basicPublish("", nowhere, true, new AMQP.BasicProperties(), new byte[0]);
      Return returned = returns.poll(10, TimeUnit.SECONDS);
      assertEquals(312, returned == null ? -1 : returned.getReplyCode(), "no basic.return within 10 s");
      assertEquals(nowhere, returned.getRoutingKey());
      assertTrue(channel.isOpen() && connection.isOpen());
    }
  }

  @Test
  void dropsAMessageRejectedWithoutRequeueInsteadOfRedeliveringIt() throws Exception {
    try (Connection connection = connect(broker.uri())) {
      Channel channel = connection.createChannel();
      String queue = channel.queueDeclare().getQueue();
      channel.basicPublish("", queue, null, "unwanted".getBytes(StandardCharsets.UTF_8));
      GetResponse got = awaitMessage(channel, queue, false);
      channel.basicReject(got.getEnvelope().getDeliveryTag(), false);
      assertEquals(0, channel.queueDeclarePassive(queue).getMessageCount());
      assertEquals(null, channel.basicGet(queue, true));
    }
  }

  @Test
  void redeliversTheUnacknowledgedMessagesOfAClosedChannel() throws Exception {
    try (Connection connection = connect(broker.uri())) {
      Channel owner = connection.createChannel();
      String queue = owner.queueDeclare().getQueue();
      owner.basicPublish("", queue, null, "again".getBytes(StandardCharsets.UTF_8));
      Channel first = connection.createChannel();
      awaitMessage(first, queue, false);
      first.close(); // without ack
      GetResponse again = awaitMessage(owner, queue, true);
      assertTrue(again.getEnvelope().isRedeliver());
      assertEquals("again", new String(again.getBody(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void hasNoDirectReplyTo() throws Exception {
    try (Connection connection = connect(broker.uri())) {
      Channel channel = connection.createChannel();
      assertThrows(IOException.class, () -> channel.basicConsume("amq.rabbitmq.reply-to", true, (tag, message) -> { }, tag -> { }));
    }
  }

  @Test
  void startsOnAGivenPort() throws Exception {
    int port = freePort();
    try (EmbeddedBroker fixed = EmbeddedBroker.start(port); Connection connection = connect(fixed.uri())) {
      assertEquals(port, fixed.port());
      assertTrue(connection.isOpen());
    }
  }

  @Test
  void runsBesideAnotherBrokerOnItsOwnPort() throws Exception {
    try (EmbeddedBroker second = EmbeddedBroker.start()) {
      assertNotEquals(broker.port(), second.port());
    }
  }

  @Test
  void failsClearlyWhenThePortIsTaken() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedBroker.start(broker.port()).close());
    assertTrue(e.getMessage().startsWith("the embedded broker cannot listen on 127.0.0.1:" + broker.port()), e.getMessage());
  }

  @Test
  void rejectsAPortOutOfRange() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddedBroker.start(65_536));
    assertEquals("port must be between 0 and 65535, got 65536", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> EmbeddedBroker.start(-1));
  }

  @Test
  void closingStopsListeningAndRemovesItsDirectoryAndWritesNothingElsewhere() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
    Path workInCurrentDir = Path.of("work");
    boolean workExisted = Files.exists(workInCurrentDir);
    EmbeddedBroker own = EmbeddedBroker.start();
    // This broker's own directory, not a count of /tmp: other JVMs (other builds, an IT run) make
    // and remove broker directories of their own at any time.
    Path directory = own.workDirectory();
    assertTrue(Files.isDirectory(directory), "a temporary directory while running: " + directory);
    assertEquals(tmp, directory.toRealPath().getParent(), "in the temporary directory: " + directory);
    assertTrue(directory.getFileName().toString().startsWith("rabbit-rpc-broker-"), directory.toString());
    own.close();
    own.close(); // idempotent
    assertFalse(Files.exists(directory), "removed on close: " + directory);
    assertEquals(workExisted, Files.exists(workInCurrentDir), "Qpid's default work directory ./work");
    assertThrows(ConnectException.class, () -> connect(own.uri()).close());
  }

  private static GetResponse awaitMessage(Channel channel, String queue, boolean autoAck) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    GetResponse got;
    while ((got = channel.basicGet(queue, autoAck)) == null) {
      assertFalse(System.nanoTime() > end, "no message on " + queue + " within 10 s");
      Thread.sleep(10); // polling interval of a bounded wait
    }
    return got;
  }
}
