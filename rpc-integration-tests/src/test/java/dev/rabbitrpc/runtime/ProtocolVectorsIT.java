package dev.rabbitrpc.runtime;

import static dev.rabbitrpc.runtime.ProtocolVectors.TIMEOUT;
import static dev.rabbitrpc.runtime.ProtocolVectors.body;
import static dev.rabbitrpc.runtime.ProtocolVectors.hasRole;
import static dev.rabbitrpc.runtime.ProtocolVectors.headers;
import static dev.rabbitrpc.runtime.ProtocolVectors.text;
import static dev.rabbitrpc.runtime.ProtocolVectors.varies;
import static dev.rabbitrpc.runtime.ProtocolVectors.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.runtime.ProtocolFixtures.Catalog;
import dev.rabbitrpc.runtime.ProtocolFixtures.CatalogImpl;
import dev.rabbitrpc.runtime.ProtocolFixtures.Fibonacci;
import dev.rabbitrpc.runtime.ProtocolFixtures.FibonacciImpl;
import dev.rabbitrpc.runtime.ProtocolFixtures.NewerCatalog;
import dev.rabbitrpc.runtime.ProtocolFixtures.OlderCatalog;
import dev.rabbitrpc.runtime.ProtocolFixtures.PlainFibonacci;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The runtime against the wire protocol's test vectors (docs/protocol-vectors) over the real
 * broker: a client sends exactly each vector's request and turns its reply into the stated outcome;
 * an exported server answers each request with exactly its reply, properties and headers included.
 * Only the fields a vector lists in {@code varies} may differ. The dispatcher alone is checked by
 * {@link ProtocolVectorsTest}.
 */
@RpcBrokerTest
class ProtocolVectorsIT {
  private static final long WAIT_SECONDS = 20;

  private static final Map<String, Class<?>> CLIENT_VIEWS = Map.of(
      "Fibonacci", Fibonacci.class,
      "PlainFibonacci", PlainFibonacci.class,
      "Catalog", Catalog.class,
      "NewerCatalog", NewerCatalog.class,
      "OlderCatalog", OlderCatalog.class,
      "CborFibonacci", ProtocolFixtures.CborFibonacci.class,
      "CborCatalog", ProtocolFixtures.CborCatalog.class,
      "Payments", ProtocolFixtures.Payments.class);

  private final TestBroker broker;

  private RpcClient client;
  private Connection raw;

  ProtocolVectorsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void connect() throws Exception {
    client = broker.client(builder -> builder.timeout(TIMEOUT));
    raw = broker.rawConnection();
  }

  @TestFactory
  Stream<DynamicTest> exportedServerAnswersEachRequestWithItsReplyOverTheBroker() throws IOException {
    return vectors().stream().filter(v -> hasRole(v, "server")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          String queue = TestBroker.uniqueQueue("vectors-server");
          RpcServer server = exportFor(v, queue);
          try (Channel channel = raw.createChannel()) {
            BlockingQueue<Object[]> replies = new ArrayBlockingQueue<>(1);
            String callbackQueue = callbackQueue(channel, replies);
            sendAndAssertReply(v, v, channel, queue, callbackQueue, replies);
          } finally {
            server.close();
            broker.deleteQueue(queue);
          }
        }));
  }

  /** The tutorial's client's callback queue: server-named, exclusive; what it receives goes to {@code messages}. */
  private static String callbackQueue(Channel channel, BlockingQueue<Object[]> messages) throws IOException {
    String callbackQueue = channel.queueDeclare().getQueue();
    channel.basicConsume(callbackQueue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        messages.add(new Object[] {properties, body});
      }
    });
    return callbackQueue;
  }

  /** Publishes a vector's request to {@code queue}, replies to {@code replyTo}; its correlation id. */
  private String publishRequest(Channel channel, String queue, String replyTo, JsonNode request) throws IOException {
    JsonNode props = request.get("properties");
    String correlationId = text(props, "correlation_id");
    channel.basicPublish("", queue, new AMQP.BasicProperties.Builder()
        .contentType(text(props, "content_type"))
        .correlationId(correlationId)
        .replyTo(replyTo)
        // Qpid (the embedded broker) reads expiration as an absolute time: RabbitMQ only.
        .expiration(broker.isRabbitMq() ? text(props, "expiration") : null)
        .headers(request.get("headers").isEmpty() ? null : headers(request.get("headers")))
        .build(), body(request));
    return correlationId;
  }

  /**
   * A server on {@code queue} (declared here, auto-delete) that answers the n-th request with the
   * n-th exchange's reply, to whatever reply_to and correlation id the client chose; the requests it
   * got, in order.
   */
  private static BlockingQueue<Object[]> answerRequests(Channel channel, String queue, List<JsonNode> exchanges)
      throws IOException {
    channel.queueDeclare(queue, false, true, true, null);
    BlockingQueue<Object[]> requests = new ArrayBlockingQueue<>(exchanges.size());
    Iterator<JsonNode> replies = exchanges.stream().map(exchange -> exchange.get("reply")).iterator();
    channel.basicConsume(queue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
          throws IOException {
        requests.add(new Object[] {properties, body});
        JsonNode reply = replies.next();
        channel.basicPublish("", properties.getReplyTo(), new AMQP.BasicProperties.Builder()
            .contentType(text(reply.get("properties"), "content_type"))
            .correlationId(properties.getCorrelationId())
            .headers(reply.get("headers").isEmpty() ? null : headers(reply.get("headers")))
            .build(), body(reply));
      }
    });
    return requests;
  }

  /** A call of the client under test. */
  private interface CallUnderTest {
    Object call() throws Throwable;
  }

  /** Makes the exchange's call; the request the client sent is the exchange's, and its outcome too. */
  private void callAndAssert(JsonNode v, JsonNode exchange, BlockingQueue<Object[]> requests, CallUnderTest call)
      throws Exception {
    Throwable thrown = null;
    Object returned = null;
    try {
      returned = call.call();
    } catch (Throwable t) {
      thrown = t;
    }
    Object[] request = requests.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(request, "the client sent no request");
    assertRequest(v, exchange.get("request"), (AMQP.BasicProperties) request[0], (byte[]) request[1]);
    assertOutcome(exchange.get("outcome"), returned, thrown);
  }

  /**
   * Publishes an exchange's request to {@code queue} as the tutorial's client does (from {@code
   * callbackQueue}, whose messages {@code replies} gets) and checks the server's reply against the
   * exchange's: properties, headers, body (free text aside). Returns the reply's body.
   */
  private byte[] sendAndAssertReply(JsonNode v, JsonNode exchange, Channel channel, String queue, String callbackQueue,
      BlockingQueue<Object[]> replies) throws Exception {
    String correlationId = publishRequest(channel, queue, callbackQueue, exchange.get("request"));
    Object[] reply = replies.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(reply, "no reply within " + WAIT_SECONDS + " s");
    AMQP.BasicProperties properties = (AMQP.BasicProperties) reply[0];
    JsonNode expected = exchange.get("reply");
    assertEquals(text(expected.get("properties"), "content_type"), properties.getContentType(), "content_type");
    assertEquals(correlationId, properties.getCorrelationId(), "correlation_id");
    assertOnlyProperties(properties, "content_type", "correlation_id", "headers");
    assertHeaders(expected.get("headers"), properties.getHeaders(), List.of("rpc-expired-ms"), v, "reply.headers.");
    // Over the broker the free text may differ (each implementation words its own errors);
    // the dispatcher test checks the exact bytes.
    assertBodyModuloFreeText(v, expected, (byte[]) reply[1]);
    return (byte[]) reply[1];
  }

  /**
   * The replay vectors (docs/protocol-vectors/replays) over the broker: one server exported with an
   * {@link InMemoryReplyStore} answers each exchange's request, in order, with exactly its reply
   * ({@code rpc-replayed} included), a replayed body is bit for bit the one it replays, and the
   * method ran {@code runs} times.
   */
  @TestFactory
  Stream<DynamicTest> exportedServerWithAReplyStoreAnswersEachReplayVectorsExchanges() throws IOException {
    return ProtocolVectors.replayVectors().stream().filter(v -> hasRole(v, "server")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          String queue = TestBroker.uniqueQueue("vectors-replay");
          ProtocolFixtures.PaymentsImpl payments = new ProtocolFixtures.PaymentsImpl();
          RpcServer server = client.server(ProtocolFixtures.Payments.class, payments).queue(queue)
              .replyStore(new InMemoryReplyStore()).export();
          try (Channel channel = raw.createChannel()) {
            BlockingQueue<Object[]> replies = new ArrayBlockingQueue<>(1);
            String callbackQueue = callbackQueue(channel, replies);
            List<byte[]> bodies = new ArrayList<>();
            for (JsonNode exchange : v.get("exchanges")) {
              byte[] body = sendAndAssertReply(v, exchange, channel, queue, callbackQueue, replies);
              if (exchange.has("replay_of")) {
                assertArrayEquals(bodies.get(exchange.get("replay_of").asInt()), body, "the replayed body, bit for bit");
              }
              bodies.add(body);
            }
            assertEquals(v.get("runs").asInt(), payments.runs.get(), "runs of pay");
          } finally {
            server.close();
            broker.deleteQueue(queue);
          }
        }));
  }

  /**
   * The stream vectors (docs/protocol-vectors/streams) over the broker: an exported server sends
   * exactly the vector's items (properties and headers; {@code reply_to} is its own control queue),
   * then its reply, {@code rpc-stream-end} included.
   */
  @TestFactory
  Stream<DynamicTest> exportedServerStreamsEachStreamVectorsItemsThenItsEnd() throws IOException {
    return ProtocolVectors.streamVectors().stream().filter(v -> hasRole(v, "server")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          String queue = TestBroker.uniqueQueue("vectors-stream");
          RpcServer server = client.export(ProtocolFixtures.Shelf.class, new ProtocolFixtures.ShelfImpl(), queue);
          try (Channel channel = raw.createChannel()) {
            BlockingQueue<Object[]> messages = new ArrayBlockingQueue<>(16);
            String correlationId = publishRequest(channel, queue, callbackQueue(channel, messages), v.get("request"));
            for (JsonNode item : v.get("items")) {
              Object[] sent = messages.poll(WAIT_SECONDS, TimeUnit.SECONDS);
              assertNotNull(sent, "no stream item within " + WAIT_SECONDS + " s");
              AMQP.BasicProperties properties = (AMQP.BasicProperties) sent[0];
              assertEquals(text(item.get("properties"), "content_type"), properties.getContentType(), "item content_type");
              assertEquals(correlationId, properties.getCorrelationId(), "item correlation_id");
              assertNotNull(properties.getReplyTo(), "item reply_to: the server's control address");
              assertOnlyProperties(properties, "content_type", "correlation_id", "reply_to", "headers");
              assertHeaders(item.get("headers"), properties.getHeaders(), List.of(), v, "items.headers.");
              assertBody(item, (byte[]) sent[1]);
            }
            Object[] reply = messages.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(reply, "no end within " + WAIT_SECONDS + " s");
            AMQP.BasicProperties properties = (AMQP.BasicProperties) reply[0];
            JsonNode expected = v.get("reply");
            assertEquals(text(expected.get("properties"), "content_type"), properties.getContentType(), "content_type");
            assertEquals(correlationId, properties.getCorrelationId(), "correlation_id");
            assertOnlyProperties(properties, "content_type", "correlation_id", "headers");
            assertHeaders(expected.get("headers"), properties.getHeaders(), List.of(), v, "reply.headers.");
            assertBodyModuloFreeText(v, expected, (byte[]) reply[1]);
          } finally {
            server.close();
            broker.deleteQueue(queue);
          }
        }));
  }

  @TestFactory
  Stream<DynamicTest> clientSendsEachRequestAndTurnsItsReplyIntoTheOutcome() throws IOException {
    return vectors().stream().filter(v -> hasRole(v, "client")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          String queue = TestBroker.uniqueQueue("vectors-client");
          try (Channel channel = raw.createChannel()) {
            BlockingQueue<Object[]> requests = answerRequests(channel, queue, List.of(v));
            // rpc.describe is the client's own request (RpcClient.describe), on no interface.
            boolean describe = ServiceContract.DESCRIBE.equals(v.get("call").get("method").asText());
            Object proxy = describe ? null : clientView(v, queue);
            callAndAssert(v, v, requests, () -> describe ? client.describe(queue) : invoke(proxy, v.get("call")));
          }
        }));
  }

  /**
   * The replay vectors' client side: a Java client calling each exchange's {@code call} (the
   * {@code @CallKey} argument is the key) sends exactly its request, {@code rpc-call-key} included,
   * and makes the exchange's reply, replayed or not, into its outcome.
   */
  @TestFactory
  Stream<DynamicTest> clientSendsEachReplayVectorsRequestsWithTheirCallKey() throws IOException {
    return ProtocolVectors.replayVectors().stream().filter(v -> hasRole(v, "client")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          String queue = TestBroker.uniqueQueue("vectors-replay-client");
          try (Channel channel = raw.createChannel()) {
            List<JsonNode> exchanges = new ArrayList<>();
            v.get("exchanges").forEach(exchanges::add);
            BlockingQueue<Object[]> requests = answerRequests(channel, queue, exchanges);
            Object proxy = clientView(v, queue);
            for (JsonNode exchange : exchanges) {
              callAndAssert(v, exchange, requests, () -> invoke(proxy, exchange.get("call")));
            }
          }
        }));
  }

  private void assertRequest(JsonNode v, JsonNode expected, AMQP.BasicProperties actual, byte[] body) {
    JsonNode props = expected.get("properties");
    Map<String, String> sent = new HashMap<>();
    sent.put("content_type", actual.getContentType());
    sent.put("correlation_id", actual.getCorrelationId());
    sent.put("reply_to", actual.getReplyTo());
    sent.put("expiration", actual.getExpiration());
    for (Map.Entry<String, String> property : sent.entrySet()) {
      String path = "request.properties." + property.getKey();
      if (path.equals("request.properties.expiration") && !broker.isRabbitMq()) {
        // The client sends expiration to RabbitMQ only; Qpid would read it as an absolute time.
        assertNull(property.getValue(), path + " on a broker that is not RabbitMQ");
      } else if (path.equals("request.properties.expiration") && varies(v, path)) {
        // What is left of the timeout when the request is sent, in whole milliseconds.
        long expiration = Long.parseLong(property.getValue());
        assertTrue(expiration > 0 && expiration <= TIMEOUT.toMillis(), path + " " + expiration);
      } else if (varies(v, path)) {
        assertNotNull(property.getValue(), path);
      } else {
        assertEquals(text(props, property.getKey()), property.getValue(), path);
      }
    }
    assertOnlyProperties(actual, "content_type", "correlation_id", "reply_to", "expiration", "headers");
    assertHeaders(expected.get("headers"), withoutOptionalClientHeaders(actual.getHeaders()), List.of("rpc-deadline"), v,
        "request.headers.");
    if (actual.getHeaders() != null && actual.getHeaders().containsKey(dev.rabbitrpc.runtime.WireHeaders.DEADLINE)) {
      // AMQP field types: rpc-protocol a 32-bit int, rpc-deadline a 64-bit long (docs/PROTOCOL.md, "Headers").
      assertInstanceOf(Long.class, actual.getHeaders().get(dev.rabbitrpc.runtime.WireHeaders.DEADLINE), "rpc-deadline type");
      assertInstanceOf(Integer.class, actual.getHeaders().get(dev.rabbitrpc.runtime.WireHeaders.PROTOCOL), "rpc-protocol type");
    }
    assertArrayEquals(body(expected), body, () -> "request body: " + ProtocolVectors.show(expected, body));
  }

  private static JsonNode readTree(ObjectMapper mapper, byte[] body) {
    try {
      return mapper.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("unreadable: " + e, e);
    }
  }

  private static void assertOutcome(JsonNode outcome, Object returned, Throwable thrown) throws IOException {
    if (outcome.has("result")) {
      if (thrown != null) {
        fail("expected result " + outcome.get("result") + " but the call threw", thrown);
      }
      // Through JSON text, as the vector writes it (a byte[] is base64 there).
      ObjectMapper json = Codec.json().mapper();
      assertEquals(outcome.get("result"), readTree(json, json.writeValueAsBytes(returned)), "result");
      return;
    }
    JsonNode error = outcome.get("error");
    assertNotNull(thrown, "expected " + error + " but the call returned " + returned);
    RpcException rpc;
    if (thrown instanceof RpcException) {
      rpc = (RpcException) thrown;
      assertEquals(text(error, "type"), rpc.remoteType(), "remote type");
    } else {
      // A declared exception: rethrown as its own type, the RpcException as its cause.
      assertEquals(text(error, "type"), thrown.getClass().getName(), "rethrown type");
      rpc = assertInstanceOf(RpcException.class, thrown.getCause(), "cause of the rethrown exception");
    }
    assertEquals(error.get("code").asText(), rpc.code().name(), () -> "code of " + thrown);
  }

  /**
   * A client MAY send {@code rpc-cancel-key} (docs/PROTOCOL.md §7) and {@code rpc-notices}
   * ("Closing a server") on any request; the vectors leave them out, see their README: checked for
   * their form, then left out of the comparison.
   */
  private static Map<String, Object> withoutOptionalClientHeaders(Map<String, Object> headers) {
    if (headers == null || !headers.containsKey("rpc-cancel-key") && !headers.containsKey("rpc-notices")) {
      return headers;
    }
    Map<String, Object> others = new HashMap<>(headers);
    Object key = others.remove("rpc-cancel-key");
    if (key != null) {
      assertTrue(key.toString().matches("[0-9a-f]{32}"), "rpc-cancel-key " + key);
    }
    Object notices = others.remove("rpc-notices");
    if (notices != null) {
      assertEquals("taken", notices.toString(), "rpc-notices");
    }
    return others;
  }

  /** Headers must match exactly, except that the listed ones, when the vector says they vary, need only be numbers. */
  private static void assertHeaders(JsonNode expected, Map<String, Object> actual, List<String> mayVary, JsonNode v,
      String path) {
    Map<String, Object> sent = actual == null ? Map.of() : actual;
    List<String> names = new ArrayList<>();
    expected.fieldNames().forEachRemaining(names::add);
    assertEquals(names.stream().sorted().toList(), sent.keySet().stream().sorted().toList(), "header names");
    for (String name : names) {
      Object value = sent.get(name);
      if (mayVary.contains(name) && varies(v, path + name)) {
        assertInstanceOf(Number.class, value, name);
      } else if (expected.get(name).isNumber()) {
        assertEquals(expected.get(name).asLong(), ((Number) value).longValue(), name);
      } else {
        assertEquals(expected.get(name).asText(), value.toString(), name);
      }
    }
  }

  private static void assertOnlyProperties(AMQP.BasicProperties properties, String... allowed) {
    List<String> allowedList = List.of(allowed);
    Map<String, Object> present = new HashMap<>();
    present.put("content_type", properties.getContentType());
    present.put("content_encoding", properties.getContentEncoding());
    present.put("headers", properties.getHeaders());
    present.put("delivery_mode", properties.getDeliveryMode());
    present.put("priority", properties.getPriority());
    present.put("correlation_id", properties.getCorrelationId());
    present.put("reply_to", properties.getReplyTo());
    present.put("expiration", properties.getExpiration());
    present.put("message_id", properties.getMessageId());
    present.put("timestamp", properties.getTimestamp());
    present.put("type", properties.getType());
    present.put("user_id", properties.getUserId());
    present.put("app_id", properties.getAppId());
    for (Map.Entry<String, Object> property : present.entrySet()) {
      if (!allowedList.contains(property.getKey())) {
        assertNull(property.getValue(), "property " + property.getKey() + " is not part of the protocol");
      }
    }
  }

  /** The body, except for the fields the vector calls free text (docs/protocol-vectors/README.md). */
  private static void assertBodyModuloFreeText(JsonNode v, JsonNode message, byte[] actual) throws IOException {
    List<String> free = new ArrayList<>();
    v.get("free_text").forEach(path -> free.add(path.asText()));
    String text = ProtocolVectors.show(message, actual);
    if (free.isEmpty()) {
      assertBody(message, actual);
    } else if (free.contains("reply.body")) {
      String status = message.get("headers").get(dev.rabbitrpc.runtime.WireHeaders.STATUS).asText();
      assertTrue(text.startsWith(status + ": "), "plain error body " + text);
    } else {
      // A binary body is CBOR (docs/protocol-vectors/README.md): compared as the same tree.
      ObjectMapper json = message.has("body_hex") ? new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper()
          : new ObjectMapper();
      JsonNode expected = json.readTree(body(message));
      JsonNode got = json.readTree(actual);
      for (String path : free) {
        String[] parts = path.substring("reply.body.".length()).split("\\.");
        for (JsonNode tree : new JsonNode[] {expected, got}) {
          JsonNode parent = tree;
          for (int i = 0; i < parts.length - 1 && parent != null; i++) {
            parent = parent.get(parts[i]);
          }
          if (parent instanceof com.fasterxml.jackson.databind.node.ObjectNode) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) parent).remove(parts[parts.length - 1]);
          }
        }
      }
      assertEquals(expected, got, () -> "body (free text aside): " + text);
    }
  }

  private static void assertBody(JsonNode message, byte[] actual) {
    assertArrayEquals(body(message), actual, () -> "body: " + ProtocolVectors.show(message, actual));
  }

  private static Object invoke(Object proxy, JsonNode call) throws Throwable {
    String name = call.get("method").asText();
    for (Method method : proxy.getClass().getInterfaces()[0].getMethods()) {
      RpcMethod rename = method.getAnnotation(RpcMethod.class);
      if (!(rename == null ? method.getName() : rename.value()).equals(name)) {
        continue;
      }
      Object[] args = new Object[method.getParameterCount()];
      Iterator<JsonNode> values = call.get("args").elements();
      for (int i = 0; i < args.length; i++) {
        ObjectMapper mapper = Codec.json().mapper();
        args[i] = mapper.convertValue(values.next(), mapper.constructType(method.getGenericParameterTypes()[i]));
      }
      try {
        return method.invoke(proxy, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
    throw new AssertionError("the client view has no method " + name);
  }

  private Object clientView(JsonNode v, String queue) {
    String view = v.has("client_view") ? v.get("client_view").asText().split(":")[0] : v.get("service").asText();
    Class<?> type = CLIENT_VIEWS.get(view);
    assertNotNull(type, "no Java client view " + view);
    return client.proxy(type, queue);
  }




  private RpcServer exportFor(JsonNode v, String queue) {
    return "Fibonacci".equals(v.get("service").asText())
        ? client.export(Fibonacci.class, new FibonacciImpl(), queue)
        : client.export(Catalog.class, new CatalogImpl(), queue);
  }







}
