package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.runtime.TestServices.Types;
import dev.rabbitrpc.runtime.TestServices.TypesImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests a Java proxy would never send, published by a raw amqp-client peer: each gets a typed
 * error reply with its correlation id, and the server keeps serving.
 */
@RpcBrokerTest
class BadInputIT {
  private final TestBroker broker;

  private final TypesImpl implementation = new TypesImpl() {
    @SuppressWarnings("unused") // public, but not on the interface: never dispatchable
    public String secret() {
      return "leaked";
    }
  };
  private String queue;
  private RawPeer peer;
  private Types types;
  private RpcServer server;

  BadInputIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void exportService() throws Exception {
    queue = TestBroker.uniqueQueue("bad-input");
    RpcClient client = broker.client();
    server = client.export(Types.class, implementation, queue);
    types = client.proxy(Types.class, queue);
    peer = new RawPeer(broker.rawConnection());
  }

  @AfterEach
  void serverStillServesAndQueueIsEmpty() throws Exception {
    assertEquals(42, types.add(40, 2), "the server keeps serving");
    // The server acks a request just after publishing its reply, and the embedded broker (Qpid)
    // counts a delivered request until its ack arrives (RabbitMQ counts ready messages only): so the
    // count is awaited, bounded. A requeued request would be delivered and answered again, never
    // leaving the count at 0 for good; the peer would also get a reply it did not ask for.
    TestBroker.await(Duration.ofSeconds(10), "nothing left in " + queue, () -> broker.messageCount(queue) == 0);
    broker.deleteQueue(queue);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "not json at all                                   | PROTOCOL",
      "{\"method\":\"add\",\"args\":[1,2]                | PROTOCOL",
      "[\"add\",1,2]                                     | PROTOCOL",
      "{\"args\":[1,2]}                                  | PROTOCOL",
      "{\"method\":7,\"args\":[1,2]}                     | PROTOCOL",
      "{\"method\":\"add\",\"args\":{\"a\":1}}           | PROTOCOL",
      "{\"method\":\"add\",\"args\":[1,2]} {}            | PROTOCOL",
      "{\"method\":\"nope\",\"args\":[]}                 | UNKNOWN_METHOD",
      "{\"method\":\"secret\",\"args\":[]}               | UNKNOWN_METHOD",
      "{\"method\":\"toString\",\"args\":[]}             | UNKNOWN_METHOD",
      "{\"method\":\"getClass\",\"args\":[]}             | UNKNOWN_METHOD",
      "{\"method\":\"wait\",\"args\":[]}                 | UNKNOWN_METHOD",
      "{\"method\":\"add\",\"args\":[1]}                 | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[1,2,3]}             | INVALID_ARGUMENT",
      "{\"method\":\"add\"}                              | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[\"5\",2]}           | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[1.7,2]}             | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[null,2]}            | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[true,2]}            | INVALID_ARGUMENT",
      "{\"method\":\"add\",\"args\":[3000000000,2]}      | INVALID_ARGUMENT",
      "{\"method\":\"echo\",\"args\":[5]}                | INVALID_ARGUMENT",
      "{\"method\":\"flip\",\"args\":[\"BLUE\"]}         | INVALID_ARGUMENT",
      "{\"method\":\"flip\",\"args\":[0]}                | INVALID_ARGUMENT",
      "{\"method\":\"move\",\"args\":[[1,2],3]}          | INVALID_ARGUMENT",
  })
  void answersABadRequestWithATypedError(String body, String code) throws Exception {
    String id = peer.sendJson(queue, body);
    RawPeer.Reply reply = peer.reply();
    assertEquals(id, reply.properties().getCorrelationId());
    assertEquals(code, reply.status(), reply.body());
    assertTrue(reply.body().startsWith("{\"error\":{\"code\":\"" + code + "\""), reply.body());
    assertTrue(!reply.body().contains("\tat ") && !reply.body().contains("Exception:"), "no stack trace: " + reply.body());
    // Counted by reason, before the reply was sent (visible to this thread once the counter says so).
    ServerStats.Rejection why = code.equals("UNKNOWN_METHOD") ? ServerStats.Rejection.UNKNOWN_METHOD
        : ServerStats.Rejection.UNREADABLE;
    TestBroker.await(Duration.ofSeconds(10), "the rejection counted as " + why,
        () -> server.stats().rejectedRequests(why) == 1);
    for (ServerStats.Rejection other : ServerStats.Rejection.values()) {
      if (other != why) {
        assertEquals(0, server.stats().rejectedRequests(other), other.name());
      }
    }
  }

  @Test
  void countsARequestLargerThanTheServersLimitAsTooLarge() throws Exception {
    String small = TestBroker.uniqueQueue("bad-input-small");
    RpcServer limited = broker.client(b -> b.maxMessageSize(1024)).export(Types.class, implementation, small);
    try {
      peer.sendJson(small, "{\"method\":\"echo\",\"args\":[\"" + "x".repeat(2048) + "\"]}");
      RawPeer.Reply reply = peer.reply();
      assertEquals("RESOURCE_EXHAUSTED", reply.status(), reply.body());
      TestBroker.await(Duration.ofSeconds(10), "the rejection counted as too large",
          () -> limited.stats().rejectedRequests(ServerStats.Rejection.TOO_LARGE) == 1);
      assertEquals(0, limited.stats().rejectedRequests(ServerStats.Rejection.UNREADABLE));
    } finally {
      broker.deleteQueue(small);
    }
  }

  @Test
  void acceptsFieldsInAnyOrderAndIgnoresUnknownOnes() throws Exception {
    peer.sendJson(queue, "{\"args\":[{\"x\":1,\"y\":2,\"z\":3},5],\"extra\":{\"a\":[1]},\"method\":\"move\"}");
    RawPeer.Reply reply = peer.reply();
    assertEquals("OK", reply.status());
    assertEquals("{\"x\":6,\"y\":2}", reply.body());
  }

  @Test
  void rejectsTooDeeplyNestedJsonWithoutFallingOver() throws Exception {
    String deep = "[".repeat(5_000) + "]".repeat(5_000);
    peer.sendJson(queue, "{\"method\":\"nothing\",\"args\":[],\"ignored\":" + deep + "}");
    assertEquals("RESOURCE_EXHAUSTED", peer.reply().status());
  }

  @Test
  void ignoresClassNamesOnTheWire() throws Exception {
    peer.sendJson(queue,
        "{\"method\":\"echo\",\"args\":[[\"java.net.URL\",\"http://example.invalid\"]]}");
    assertEquals("INVALID_ARGUMENT", peer.reply().status());
  }

  @Test
  void rejectsARequestWithoutReplyToWithoutRequeueing() throws Exception {
    peer.send(queue, new AMQP.BasicProperties.Builder().contentType("application/json").correlationId("x").build(),
        "{\"method\":\"nothing\",\"args\":[]}");
    // The server rejects it (requeue=false): the queue drains and the handler never runs.
    TestBroker.await(Duration.ofSeconds(5), "the request to leave the queue", () -> broker.messageCount(queue) == 0);
    assertEquals(42, types.add(40, 2));
    assertEquals(0, implementation.nothingCalls.get());
    assertNull(peer.replyWithin(200));
  }

  @Test
  void repliesToTheRequestsReplyToWithItsCorrelationIdAndStatusHeaders() throws Exception {
    String id = peer.sendJson(queue, "{\"method\":\"add\",\"args\":[2,3]}");
    RawPeer.Reply reply = peer.reply();
    assertEquals(id, reply.properties().getCorrelationId());
    assertEquals("application/json", reply.properties().getContentType());
    Map<String, Object> headers = reply.properties().getHeaders();
    assertEquals("OK", headers.get("rpc-status").toString());
    assertEquals(1, ((Number) headers.get("rpc-protocol")).intValue());
    assertEquals("5", reply.body());
  }

  @Test
  void skipsARequestWhoseDeadlineHasPassed() throws Exception {
    peer.send(queue, new AMQP.BasicProperties.Builder()
        .contentType("application/json").correlationId("late").replyTo(peer.replyQueue)
        .headers(Map.of("rpc-protocol", 1, "rpc-deadline", System.currentTimeMillis() - 1)).build(),
        "{\"method\":\"nothing\",\"args\":[]}");
    RawPeer.Reply reply = peer.reply();
    assertEquals("DEADLINE_EXCEEDED", reply.status());
    assertEquals(0, implementation.nothingCalls.get());
  }
}
