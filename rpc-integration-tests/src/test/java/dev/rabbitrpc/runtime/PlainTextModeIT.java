package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.ProtocolFixtures.Catalog;
import dev.rabbitrpc.runtime.ProtocolFixtures.CatalogImpl;
import dev.rabbitrpc.runtime.ProtocolFixtures.Fibonacci;
import dev.rabbitrpc.runtime.ProtocolFixtures.FibonacciImpl;
import dev.rabbitrpc.runtime.ProtocolFixtures.PlainFibonacci;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tutorial's plain-text mode (docs/PROTOCOL.md, "Plain-text mode") and the protocol-version
 * rule, beyond what the vectors show: a server keeps serving after a plain request it cannot take,
 * String parameters take the text itself, plain clients see remote errors, and a client refuses a
 * reply in another protocol version.
 */
@RpcBrokerTest
class PlainTextModeIT {
  private static final long WAIT_SECONDS = 20;

  private final TestBroker broker;

  private RpcClient client;
  private Connection raw;

  PlainTextModeIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void connect() throws Exception {
    client = broker.client();
    raw = broker.rawConnection();
  }

  @RpcService(queue = "plain-text.echo")
  interface Echo {
    String shout(String text);
  }

  @RpcService(plainText = true)
  interface TwoArguments {
    int add(int a, int b);
  }

  @RpcService(plainText = true)
  interface TwoMethods {
    int fib(int n);

    int square(int n);
  }

  @Test
  void plainRequestToAServiceOfSeveralMethodsGetsAPlainErrorAndTheServerKeepsServing() throws Exception {
    String queue = TestBroker.uniqueQueue("plain-catalog");
    try (RpcServer server = client.export(Catalog.class, new CatalogImpl(), queue); Channel channel = raw.createChannel()) {
      Reply reply = tutorialCall(channel, server.queue(), "30");
      assertNull(reply.properties.getContentType(), "a plain reply has no content type");
      assertEquals("PROTOCOL", reply.properties.getHeaders().get(dev.rabbitrpc.runtime.WireHeaders.STATUS).toString());
      assertTrue(reply.text().startsWith("PROTOCOL: a plain-text request"), reply.text());

      assertEquals(5, client.proxy(Catalog.class, queue).divide(10, 2), "the server still answers JSON calls");
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void plainRequestWithAStringParameterPassesTheBodyTextItself() throws Exception {
    String queue = TestBroker.uniqueQueue("plain-echo");
    try (RpcServer server = client.export(Echo.class, text -> text.toUpperCase(java.util.Locale.ROOT), queue);
        Channel channel = raw.createChannel()) {
      Reply reply = tutorialCall(channel, server.queue(), "héllo \"world\"");
      assertEquals("HÉLLO \"WORLD\"", reply.text(), "neither quoted nor escaped: plain text both ways");
      assertEquals("OK", reply.properties.getHeaders().get(dev.rabbitrpc.runtime.WireHeaders.STATUS).toString());
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void plainClientSeesTheServersErrorAsAnRpcExceptionWithItsCode() throws Exception {
    String queue = TestBroker.uniqueQueue("plain-fib");
    try (RpcServer server = client.export(Fibonacci.class, new FibonacciImpl(), queue)) {
      PlainFibonacci fibonacci = client.proxy(PlainFibonacci.class, server.queue());
      assertEquals(832040, fibonacci.fib(30));
      RpcException e = assertThrows(RpcException.class, () -> fibonacci.fib(-1));
      assertEquals(Code.APPLICATION_ERROR, e.code());
      assertTrue(e.getMessage().contains("java.lang.IllegalArgumentException: n must be between 0 and 46, got -1"),
          e.getMessage());
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void plainTextServiceMustHaveExactlyOneMethodOfOneParameter() {
    IllegalArgumentException twoArguments = assertThrows(IllegalArgumentException.class,
        () -> client.proxy(TwoArguments.class));
    assertTrue(twoArguments.getMessage().endsWith("for method TwoArguments.add"), twoArguments.getMessage());
    IllegalArgumentException twoMethods = assertThrows(IllegalArgumentException.class,
        () -> client.proxy(TwoMethods.class));
    assertTrue(twoMethods.getMessage().contains("has 2 methods"), twoMethods.getMessage());
  }

  @Test
  void plainTextIsChosenByTheAbsenceOfAContentTypeOnly() throws Exception {
    Dispatcher dispatcher = new Dispatcher(
        ServiceDescriptor.parse(Fibonacci.class, Codec.json(), Duration.ofSeconds(1)), new FibonacciImpl(),
        Codec.json(), 1024);
    CompletableFuture<String> plain = new CompletableFuture<>();
    dispatcher.dispatch("", null, "10".getBytes(StandardCharsets.UTF_8), false, "plain-1",
        (status, body) -> plain.complete(status + " " + new String(body, StandardCharsets.UTF_8)));
    assertEquals("OK 55", plain.get(WAIT_SECONDS, TimeUnit.SECONDS));
    CompletableFuture<String> json = new CompletableFuture<>();
    dispatcher.dispatch("text/plain", null, "10".getBytes(StandardCharsets.UTF_8), false, "json-1",
        (status, body) -> json.complete(status + " " + new String(body, StandardCharsets.UTF_8)));
    assertTrue(json.get(WAIT_SECONDS, TimeUnit.SECONDS).startsWith("PROTOCOL {\"error\":{\"code\":\"PROTOCOL\""),
        "any content type but none is JSON, and 10 is not a JSON request");
  }

  @Test
  void clientFailsTheCallWithProtocolWhenTheReplyIsInAnotherProtocolVersion() throws Exception {
    String queue = TestBroker.uniqueQueue("future-server");
    try (Channel channel = raw.createChannel()) {
      channel.queueDeclare(queue, false, true, true, null);
      channel.basicConsume(queue, true, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws java.io.IOException {
          channel.basicPublish("", properties.getReplyTo(), new AMQP.BasicProperties.Builder()
              .contentType("application/json")
              .correlationId(properties.getCorrelationId())
              .headers(Map.of("rpc-protocol", 2, "rpc-status", "OK"))
              .build(), "{\"v2\":55}".getBytes(StandardCharsets.UTF_8));
        }
      });
      RpcException e = assertThrows(RpcException.class, () -> client.proxy(Fibonacci.class, queue).fib(10));
      assertEquals(Code.PROTOCOL, e.code());
      assertTrue(e.getMessage().contains("rpc-protocol 2"), e.getMessage());
    }
  }

  private record Reply(AMQP.BasicProperties properties, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A call as the tutorial's Python client makes it: plain body, no content type, exclusive callback queue. */
  private static Reply tutorialCall(Channel channel, String queue, String text) throws Exception {
    String callbackQueue = channel.queueDeclare().getQueue();
    BlockingQueue<Reply> replies = new ArrayBlockingQueue<>(1);
    channel.basicConsume(callbackQueue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        replies.add(new Reply(properties, body));
      }
    });
    String correlationId = "tutorial-" + System.nanoTime();
    channel.basicPublish("", queue, new AMQP.BasicProperties.Builder()
        .correlationId(correlationId).replyTo(callbackQueue).build(), text.getBytes(StandardCharsets.UTF_8));
    Reply reply = replies.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(reply, "no reply within " + WAIT_SECONDS + " s");
    assertEquals(correlationId, reply.properties.getCorrelationId());
    return reply;
  }
}
