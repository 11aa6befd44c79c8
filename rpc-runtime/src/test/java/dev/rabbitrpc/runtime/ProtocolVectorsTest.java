package dev.rabbitrpc.runtime;

import static dev.rabbitrpc.runtime.ProtocolVectors.body;
import static dev.rabbitrpc.runtime.ProtocolVectors.hasRole;
import static dev.rabbitrpc.runtime.ProtocolVectors.headers;
import static dev.rabbitrpc.runtime.ProtocolVectors.implementation;
import static dev.rabbitrpc.runtime.ProtocolVectors.serverDescriptor;
import static dev.rabbitrpc.runtime.ProtocolVectors.text;
import static dev.rabbitrpc.runtime.ProtocolVectors.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The dispatcher against the wire protocol's test vectors (docs/protocol-vectors): it answers each
 * request of a {@code server} vector with exactly the vector's status and body bytes.
 * {@code ProtocolVectorsIT} (in rpc-integration-tests) checks the client, and the exported server's
 * whole reply (properties and headers too), over the broker.
 */
class ProtocolVectorsTest {
  @Test
  void theVectorsCoverEveryCaseTheProtocolDocumentNames() throws IOException {
    List<String> names = new ArrayList<>();
    for (JsonNode vector : vectors()) {
      names.add(vector.get("name").asText());
    }
    for (String required : List.of("simple-call", "collections-and-records", "void", "declared-exception",
        "application-error", "unknown-method", "invalid-arguments", "deadline-exceeded", "plain-tutorial-call",
        "plain-client-call", "plain-error", "unknown-status", "unknown-fields", "unsupported-version",
        "cbor-simple-call", "cbor-bytes", "cbor-collections-and-records", "cbor-declared-exception",
        "unsupported-content-type", "describe")) {
      assertTrue(names.contains(required), "missing vector " + required + " in " + names);
    }
  }

  @TestFactory
  Stream<DynamicTest> dispatcherAnswersEachRequestWithItsReply() throws IOException {
    return vectors().stream().filter(v -> hasRole(v, "server")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          JsonNode request = v.get("request");
          Dispatcher dispatcher = new Dispatcher(serverDescriptor(v), implementation(v), Codec.json(), 1 << 20);
          CompletableFuture<Object[]> reply = new CompletableFuture<>();
          dispatcher.dispatch(text(request.get("properties"), "content_type"), headers(request.get("headers")),
              body(request), false, text(request.get("properties"), "correlation_id"), new ReplySink() {
                @Override
                public void reply(String status, byte[] body) {
                  reply.complete(new Object[] {status, body, null});
                }

                @Override
                public void replyExpired(String status, byte[] body, long expiredMillis) {
                  reply.complete(new Object[] {status, body, expiredMillis});
                }
              });
          Object[] sent = reply.get(20, TimeUnit.SECONDS);
          JsonNode expected = v.get("reply");
          assertEquals(expected.get("headers").get(WireHeaders.STATUS).asText(), sent[0], "rpc-status");
          // rpc-expired-ms exactly when the vector's reply has it; its value varies with the clock.
          assertEquals(expected.get("headers").has(WireHeaders.EXPIRED), sent[2] != null, "rpc-expired-ms");
          if (sent[2] != null) {
            assertTrue((Long) sent[2] >= 0, "rpc-expired-ms " + sent[2]);
          }
          byte[] body = (byte[]) sent[1];
          assertArrayEquals(body(expected), body, () -> "body: " + ProtocolVectors.show(expected, body));
        }));
  }

  /**
   * The stream vectors (docs/protocol-vectors/streams): the dispatcher publishes exactly the vector's
   * items (their seq and body bytes), then its reply; the item count is what the AMQP sink sends as
   * {@code rpc-stream-end}, and a request refused before it ran starts no stream.
   */
  @TestFactory
  Stream<DynamicTest> dispatcherStreamsEachStreamVectorsItemsThenItsEnd() throws IOException {
    List<JsonNode> streams = ProtocolVectors.streamVectors();
    assertTrue(streams.stream().anyMatch(v -> v.get("name").asText().equals("stream-items")), "no stream-items vector");
    return streams.stream().filter(v -> hasRole(v, "server")).map(v -> DynamicTest.dynamicTest(
        v.get("name").asText(), () -> {
          JsonNode request = v.get("request");
          Dispatcher dispatcher = new Dispatcher(ServiceDescriptor.parse(ProtocolFixtures.Shelf.class, Codec.json(),
              ProtocolVectors.TIMEOUT), new ProtocolFixtures.ShelfImpl(), Codec.json(), 1 << 20);
          dispatcher.streams.control("amq.gen-control"); // as a started server has one
          List<Long> seqs = new CopyOnWriteArrayList<>();
          List<byte[]> items = new CopyOnWriteArrayList<>();
          AtomicBoolean started = new AtomicBoolean();
          CompletableFuture<Object[]> reply = new CompletableFuture<>();
          dispatcher.dispatch(text(request.get("properties"), "content_type"), headers(request.get("headers")),
              body(request), false, text(request.get("properties"), "correlation_id"), new ReplySink() {
                @Override
                public void reply(String status, byte[] body) {
                  reply.complete(new Object[] {status, body});
                }

                @Override
                public void startStream() {
                  started.set(true);
                }

                @Override
                public void item(long seq, byte[] body) {
                  seqs.add(seq);
                  items.add(body);
                }
              });
          Object[] sent = reply.get(20, TimeUnit.SECONDS);
          JsonNode expected = v.get("reply");
          assertEquals(expected.get("headers").get(WireHeaders.STATUS).asText(), sent[0], "rpc-status");
          JsonNode end = expected.get("headers").get(WireHeaders.STREAM_END);
          assertEquals(end != null, started.get(), "a stream started exactly when the reply ends one (rpc-stream-end)");
          JsonNode wanted = v.get("items");
          assertEquals(wanted.size(), items.size(), "items");
          if (end != null) {
            assertEquals(end.asLong(), items.size(), "rpc-stream-end");
          }
          for (int i = 0; i < items.size(); i++) {
            assertEquals(wanted.get(i).get("headers").get(WireHeaders.STREAM_SEQ).asLong(), seqs.get(i), "rpc-stream-seq");
            byte[] item = items.get(i);
            assertArrayEquals(body(wanted.get(i)), item, () -> "item: " + ProtocolVectors.show(wanted.get(0), item));
          }
          byte[] body = (byte[]) sent[1];
          assertArrayEquals(body(expected), body, () -> "body: " + ProtocolVectors.show(expected, body));
        }));
  }

  /**
   * The replay vectors (docs/protocol-vectors/replays): one dispatcher with an {@link
   * InMemoryReplyStore} answers each exchange's request, in order, with exactly its status and body
   * bytes, replayed ({@code rpc-replayed}) exactly when the vector's reply says so and then bit for
   * bit the reply it replays; the method ran {@code runs} times. A vector for any server (one that
   * keeps no replies too) is also answered so by a dispatcher without a store.
   */
  @TestFactory
  Stream<DynamicTest> dispatcherWithAReplyStoreAnswersEachReplayVectorsExchanges() throws IOException {
    List<JsonNode> replays = ProtocolVectors.replayVectors();
    assertTrue(replays.stream().anyMatch(v -> v.get("name").asText().equals("replayed-result")), "no replayed-result vector");
    return replays.stream().filter(v -> hasRole(v, "server")).flatMap(v -> Stream.of(true, false)
        .filter(keeps -> keeps || !v.get("server_keeps_replies").asBoolean())
        .map(keeps -> DynamicTest.dynamicTest(v.get("name").asText() + (keeps ? "" : " (no reply store)"), () -> {
          ProtocolFixtures.PaymentsImpl payments = new ProtocolFixtures.PaymentsImpl();
          Dispatcher dispatcher = new Dispatcher(ServiceDescriptor.parse(ProtocolFixtures.Payments.class, Codec.json(),
              ProtocolVectors.TIMEOUT), payments, Codec.json(), new MessageSizeLimit(1 << 20), List.of(), true,
              keeps ? new InMemoryReplyStore() : null);
          List<byte[]> bodies = new ArrayList<>();
          for (JsonNode exchange : v.get("exchanges")) {
            JsonNode request = exchange.get("request");
            CompletableFuture<Object[]> reply = new CompletableFuture<>();
            dispatcher.dispatch(text(request.get("properties"), "content_type"), headers(request.get("headers")),
                body(request), false, text(request.get("properties"), "correlation_id"), new ReplySink() {
                  @Override
                  public void reply(String status, byte[] body) {
                    reply.complete(new Object[] {status, body, false});
                  }

                  @Override
                  public void replayed(String status, byte[] body, java.util.Map<String, String> replyHeaders) {
                    reply.complete(new Object[] {status, body, true});
                  }
                });
            Object[] sent = reply.get(20, TimeUnit.SECONDS);
            JsonNode expected = exchange.get("reply");
            assertEquals(expected.get("headers").get(WireHeaders.STATUS).asText(), sent[0], "rpc-status");
            assertEquals(expected.get("headers").has(WireHeaders.REPLAYED), sent[2], "rpc-replayed");
            byte[] body = (byte[]) sent[1];
            assertArrayEquals(body(expected), body, () -> "body: " + ProtocolVectors.show(expected, body));
            if (exchange.has("replay_of")) {
              assertArrayEquals(bodies.get(exchange.get("replay_of").asInt()), body, "the replayed body, bit for bit");
            }
            bodies.add(body);
          }
          assertEquals(v.get("runs").asInt(), payments.runs.get(), "runs of pay");
        })));
  }

  /**
   * The describe vector is a client vector (a server may decline to describe itself), but its reply
   * is what the Java dispatcher answers its request with: the same JSON, the library's version
   * (free text) aside, and the outcome is that contract.
   */
  @Test
  void theDispatcherAnswersTheDescribeVectorsRequestWithItsReply() throws Exception {
    JsonNode v = vectors().stream().filter(x -> x.get("name").asText().equals("describe")).findFirst().orElseThrow();
    JsonNode request = v.get("request");
    Dispatcher dispatcher = new Dispatcher(serverDescriptor(v), implementation(v), Codec.json(), 1 << 20);
    CompletableFuture<Object[]> reply = new CompletableFuture<>();
    dispatcher.dispatch(text(request.get("properties"), "content_type"), headers(request.get("headers")), body(request),
        false, text(request.get("properties"), "correlation_id"), (status, body) -> reply.complete(new Object[] {status, body}));
    Object[] sent = reply.get(20, TimeUnit.SECONDS);
    JsonNode expected = v.get("reply");
    assertEquals("OK", sent[0]);
    ObjectMapper json = new ObjectMapper();
    ObjectNode got = (ObjectNode) json.readTree((byte[]) sent[1]);
    ObjectNode want = (ObjectNode) json.readTree(body(expected));
    assertTrue(got.get("library").asText().startsWith("rabbit-rpc-java "), got.toString());
    got.remove("library");
    want.remove("library");
    assertEquals(want, got, () -> "body: " + new String((byte[]) sent[1], java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(json.readTree(body(expected)), v.get("outcome").get("result"), "the outcome is the reply's contract");
  }
}
