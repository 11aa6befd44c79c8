package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Greeter;
import dev.rabbitrpc.runtime.TestServices.GreeterImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Application headers on replies, end to end (proxy, broker, server, reply): a server interceptor
 * sets them ({@link ServerCall#withReplyHeader}), a client interceptor reads them from the
 * attempt's outcome ({@link ClientCall#replyHeaders()}); the protocol's {@code rpc-*} headers stay
 * the protocol's.
 */
@RpcBrokerTest
class ReplyHeadersIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("reply-headers");

  ReplyHeadersIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  /** Serves with a server interceptor that puts {@code served-by: server-1} on every reply. */
  private void exportServedBy() {
    broker.client(b -> b.serverInterceptor((call, chain) -> chain.proceed(call.withReplyHeader("served-by", "server-1"))))
        .export(Greeter.class, new GreeterImpl(), queue);
  }

  /** A client whose interceptor records, for each attempt, its reply headers before and after its outcome. */
  private RpcClient recordingClient(List<Map<String, String>> before, List<Map<String, String>> after) {
    return broker.client(b -> b.interceptor((call, chain) -> {
      before.add(call.replyHeaders());
      return chain.proceed(call.withHeader("tenant", "acme"))
          .whenComplete((value, failure) -> after.add(call.replyHeaders()));
    }));
  }

  @Test
  void aServerInterceptorsReplyHeaderReachesTheClientInterceptorOfASyncCall() {
    exportServedBy();
    List<Map<String, String>> before = new CopyOnWriteArrayList<>();
    List<Map<String, String>> after = new CopyOnWriteArrayList<>();

    assertEquals("hello ann", recordingClient(before, after).proxy(Greeter.class, queue).greet("ann"));
    assertEquals(List.of(Map.of()), before, "nothing before the reply");
    assertEquals(List.of(Map.of("served-by", "server-1")), after,
        "the reply's application headers, read from the call the interceptor was given, none of the protocol's");
  }

  @Test
  void aServerInterceptorsReplyHeaderReachesTheClientInterceptorOfACompletableFutureCallAndAnAsyncHandler()
      throws Exception {
    exportServedBy();
    List<Map<String, String>> before = new CopyOnWriteArrayList<>();
    List<Map<String, String>> after = new CopyOnWriteArrayList<>();

    CompletableFuture<String> later = recordingClient(before, after).proxy(Greeter.class, queue).greetLater("bo");
    assertEquals("later bo", later.get(10, TimeUnit.SECONDS));
    assertEquals(List.of(Map.of()), before);
    assertEquals(List.of(Map.of("served-by", "server-1")), after);
  }

  @Test
  void everyInterceptorsReplyHeadersReachTheClientAlsoWhenAnInnerOneRefusesTheCall() {
    broker.client(b -> b
        .serverInterceptor((call, chain) -> chain.proceed(call.withReplyHeader("served-by", "server-1")))
        .serverInterceptor((call, chain) -> {
          ServerCall refused = call.withReplyHeader("www-authenticate", "Bearer");
          assertEquals(Map.of("served-by", "server-1", "www-authenticate", "Bearer"), refused.replyHeaders());
          assertEquals(Map.of("served-by", "server-1"), call.replyHeaders(), "a copy: the call given is unchanged");
          throw new RpcException(Code.UNAUTHENTICATED, "no credentials");
        }))
        .export(Greeter.class, new GreeterImpl(), queue);
    AtomicReference<Map<String, String>> seen = new AtomicReference<>();
    RpcClient client = broker.client(b -> b.interceptor((call, chain) ->
        chain.proceed(call).whenComplete((value, failure) -> seen.set(call.replyHeaders()))));

    RpcException refused = assertThrows(RpcException.class, () -> client.proxy(Greeter.class, queue).greet("eve"));
    assertEquals(Code.UNAUTHENTICATED, refused.code());
    assertEquals(Map.of("served-by", "server-1"), seen.get(),
        "the error reply carries the headers of the last call passed on; the refusing one's own copy never was");
  }

  @Test
  void anAsyncCallsErrorReplyCarriesTheReplyHeadersToo() throws Exception {
    broker.client(b -> b.serverInterceptor((call, chain) -> chain.proceed(call.withReplyHeader("served-by", "server-1"))))
        .export(Greeter.class, new GreeterImpl() {
          @Override public String greet(String name) {
            throw new IllegalStateException("no");
          }

          @Override public CompletableFuture<String> greetLater(String name) {
            return CompletableFuture.failedFuture(new IllegalStateException("not " + name));
          }
        }, queue);
    AtomicReference<Map<String, String>> seen = new AtomicReference<>();
    RpcClient client = broker.client(b -> b.interceptor((call, chain) ->
        chain.proceed(call).whenComplete((value, failure) -> seen.set(call.replyHeaders()))));

    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> client.proxy(Greeter.class, queue).greetLater("cy").get(10, TimeUnit.SECONDS));
    assertEquals(Code.APPLICATION_ERROR, ((RpcException) failed.getCause()).code());
    assertEquals(Map.of("served-by", "server-1"), seen.get());
  }

  @Test
  void protocolHeaderNamesAreRefusedWithAClearIllegalArgumentException() {
    List<String> refusals = new CopyOnWriteArrayList<>();
    broker.client(b -> b.serverInterceptor((call, chain) -> {
      for (String name : new String[] {"rpc-status", "RPC-Protocol", "rpc-expired-ms", "rpc-anything"}) {
        IllegalArgumentException refused =
            assertThrows(IllegalArgumentException.class, () -> call.withReplyHeader(name, "1"));
        refusals.add(refused.getMessage());
      }
      assertThrows(IllegalArgumentException.class, () -> call.withReplyHeader("", "1"));
      assertThrows(IllegalArgumentException.class, () -> call.withReplyHeader("served-by", null));
      return chain.proceed(call);
    })).export(Greeter.class, new GreeterImpl(), queue);
    AtomicReference<Map<String, String>> seen = new AtomicReference<>();
    RpcClient client = broker.client(b -> b.interceptor((call, chain) ->
        chain.proceed(call).whenComplete((value, failure) -> seen.set(call.replyHeaders()))));

    assertEquals("hello dee", client.proxy(Greeter.class, queue).greet("dee"));
    assertEquals(List.of(
        "header names starting with \"rpc-\" belong to the protocol: rpc-status",
        "header names starting with \"rpc-\" belong to the protocol: RPC-Protocol",
        "header names starting with \"rpc-\" belong to the protocol: rpc-expired-ms",
        "header names starting with \"rpc-\" belong to the protocol: rpc-anything"), refusals);
    assertEquals(Map.of(), seen.get(), "a reply without application headers");
  }

  @Test
  void onTheWireTheReplyHasTheProtocolsHeadersUnchangedAndTheApplicationsAsStrings() throws Exception {
    exportServedBy();
    RawPeer peer = new RawPeer(broker.rawConnection());
    String ok = peer.sendJson(queue, "{\"method\":\"greet\",\"args\":[\"eve\"]}");
    RawPeer.Reply reply = peer.reply();

    assertEquals(ok, reply.properties().getCorrelationId());
    Map<String, Object> headers = reply.properties().getHeaders();
    assertEquals(3, headers.size(), () -> "headers: " + headers);
    assertEquals(1, ((Number) headers.get("rpc-protocol")).intValue());
    assertEquals("OK", headers.get("rpc-status").toString());
    assertNotNull(headers.get("served-by"), () -> "headers: " + headers);
    assertEquals("server-1", headers.get("served-by").toString(), "a long string, as on requests");
    assertEquals("\"hello eve\"", reply.body());

    String bad = peer.sendJson(queue, "{\"method\":\"greet\",\"args\":[1, 2]}");
    RawPeer.Reply refused = peer.reply();
    assertEquals(bad, refused.properties().getCorrelationId());
    assertEquals("INVALID_ARGUMENT", refused.status(),
        "refused before the chain ran: " + refused.body());
    assertEquals(2, refused.properties().getHeaders().size(), () -> "only the protocol's: " + refused.properties());
  }

  @Test
  void withoutAReplyHeaderTheReplyHasOnlyTheProtocolsHeaders() throws Exception {
    broker.client(b -> b.serverInterceptor((call, chain) -> chain.proceed(call)))
        .export(Greeter.class, new GreeterImpl(), queue);
    RawPeer peer = new RawPeer(broker.rawConnection());
    peer.sendJson(queue, "{\"method\":\"greet\",\"args\":[\"fay\"]}");
    Map<String, Object> headers = peer.reply().properties().getHeaders();

    assertEquals(2, headers.size(), () -> "headers: " + headers);
    assertEquals("OK", headers.get("rpc-status").toString());
    assertTrue(headers.containsKey("rpc-protocol"));
  }
}
