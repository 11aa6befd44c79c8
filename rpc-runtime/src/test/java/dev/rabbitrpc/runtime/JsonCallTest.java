package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonCall}, {@link RpcClient#callJson}'s call by wire name, on the call pipeline over an
 * in-memory transport ({@link FakeTransport}): the request it sends, the JSON result, typed errors,
 * the deadline, the interceptors' view, and the arguments it refuses before sending.
 */
class JsonCallTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final FakeTransport transport = new FakeTransport(router);
  private final ClientTimer timer = new ClientTimer();
  private final ClientWork work = new ClientWork();
  private final JsonCall jsonCall = new JsonCall(Codec.json());
  private CallEngine engine;

  @AfterEach
  void shutdown() {
    if (engine != null) {
      engine.close();
    }
    timer.shutdown();
    work.shutdown();
    transport.shutdown();
  }

  private CallEngine engine(ClientInterceptor... interceptors) {
    FormatRefused formats = new FormatRefused(WireFormat.JSON);
    CorrelationIds ids = new CorrelationIds();
    Sender sender = new Sender(Codec.json(), 100, new MessageSizeLimit(1 << 20), router, transport, () -> {}, formats,
        ids, true, ClientSettings.DEFAULT_STREAM_WINDOW);
    engine = new CallEngine(router, new Completions(null), timer, work, transport, sender, new RetryPolicy(formats),
        formats, ids, new CallDeadlines(router, timer), List.of(interceptors), System::nanoTime);
    return engine;
  }

  private static FakeTransport.Answer ok(String json) {
    return FakeTransport.Answer.reply("application/json", "OK", json.getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode call(String queue, String method, String args, Duration timeout) throws Exception {
    return jsonCall.call(engine, queue, method, JSON.readTree(args), timeout);
  }

  @Test
  void sendsTheWireNameAndTheArgumentsAsTheyAreAndReturnsTheResultAsJson() throws Exception {
    engine();
    transport.server = request -> ok("{\"sum\":3,\"items\":[1,2]}");
    JsonNode result = call("orders", "add", "[{\"a\":1},[1,2],\"x\",null,2.5]", Duration.ofSeconds(5));
    assertEquals(JSON.readTree("{\"sum\":3,\"items\":[1,2]}"), result);
    FakeTransport.Request sent = transport.published.get(0);
    assertEquals("orders", sent.queue());
    assertEquals("application/json", sent.properties().getContentType());
    assertEquals(JSON.readTree("{\"method\":\"add\",\"args\":[{\"a\":1},[1,2],\"x\",null,2.5]}"), JSON.readTree(sent.body()));
    assertEquals(0, engine.pendingCalls());
  }

  @Test
  void aMethodWithoutResultReturnsNullNode() throws Exception {
    engine();
    transport.server = request -> ok("null");
    assertEquals(NullNode.getInstance(), call("q", "reset", "[]", Duration.ofSeconds(5)));
  }

  @Test
  void anErrorReplyIsTheRpcExceptionOfItsCodeNamingTheMethod() {
    engine();
    transport.server = request -> FakeTransport.Answer.reply("application/json", "UNKNOWN_METHOD",
        WireBody.encodeError(Codec.json().mapper(), Code.UNKNOWN_METHOD, null, "no method nope"));
    RpcException e = assertThrows(RpcException.class, () -> call("q", "nope", "[]", Duration.ofSeconds(5)));
    assertEquals(Code.UNKNOWN_METHOD, e.code());
    assertTrue(e.getMessage().contains("no method nope"), e.getMessage());
  }

  @Test
  void anApplicationErrorKeepsTheRemoteType() {
    engine();
    transport.server = request -> FakeTransport.Answer.reply("application/json", "APPLICATION_ERROR",
        WireBody.encodeError(Codec.json().mapper(), Code.APPLICATION_ERROR, "java.lang.IllegalStateException", "boom"));
    RpcException e = assertThrows(RpcException.class, () -> call("q", "m", "[1]", Duration.ofSeconds(5)));
    assertEquals(Code.APPLICATION_ERROR, e.code());
    assertEquals("java.lang.IllegalStateException", e.remoteType());
  }

  @Test
  void noReplyEndsAtTheGivenTimeoutWithDeadlineExceeded() {
    engine();
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> call("q", "slow", "[]", Duration.ofMillis(200)));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    assertTrue(e.getMessage().startsWith("slow: "), e.getMessage());
    assertTrue(tookMillis >= 190 && tookMillis < 5_000, "took " + tookMillis + " ms");
    assertEquals(0, engine.pendingCalls());
  }

  @Test
  void interceptorsSeeTheWireNameTheQueueAndTheArguments() throws Exception {
    AtomicReference<ClientCall> seen = new AtomicReference<>();
    engine((call, next) -> {
      seen.set(call);
      return next.proceed(call.withHeader("x-tenant", "t1"));
    });
    transport.server = request -> ok("7");
    assertEquals(7, call("q", "count", "[\"a\"]", Duration.ofSeconds(5)).asInt());
    assertEquals("count", seen.get().methodName());
    assertEquals("q", seen.get().queue());
    assertEquals(List.of(JSON.readTree("\"a\"")), seen.get().arguments());
    assertEquals(JsonCall.Untyped.class, seen.get().service());
    assertEquals("t1", transport.published.get(0).properties().getHeaders().get("x-tenant").toString());
  }

  @Test
  void refusesWhatCannotBeACallBeforeSendingIt() throws Exception {
    engine();
    IllegalArgumentException notArray = assertThrows(IllegalArgumentException.class,
        () -> call("q", "m", "{\"a\":1}", Duration.ofSeconds(1)));
    assertTrue(notArray.getMessage().contains("must be a JSON array"), notArray.getMessage());
    assertThrows(IllegalArgumentException.class, () -> call("q", " ", "[]", Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> call("q", "m", "[]", Duration.ZERO));
    IllegalArgumentException emptyQueue = assertThrows(IllegalArgumentException.class,
        () -> call("", "m", "[]", Duration.ofSeconds(1)));
    assertEquals("callJson: a queue name must have 1 to 255 characters: \"\"", emptyQueue.getMessage());
    assertEquals(0, transport.published.size());
  }
}
