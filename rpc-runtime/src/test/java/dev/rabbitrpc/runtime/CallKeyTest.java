package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's side of replayed replies on an in-memory transport: every attempt of a
 * {@code @Deduplicated} call carries one key ({@code rpc-call-key}), fresh per call or the
 * {@code @CallKey} argument's; such a call is retried after {@code UNAVAILABLE} as an idempotent one
 * is; an interceptor may set the key; a bad key fails the call before it is sent.
 */
class CallKeyTest {
  interface Svc {
    @Deduplicated
    String pay(String account, long cents);

    @Deduplicated
    CompletableFuture<String> payLater(String account, long cents);

    @Deduplicated
    String order(@CallKey String orderId, int quantity);

    String echo(String value);
  }

  private static final byte[] V = "\"v\"".getBytes(StandardCharsets.UTF_8);
  private static final FakeTransport.Answer OK = FakeTransport.Answer.reply("application/json", "OK", V);
  private static final FakeTransport.Answer UNAVAILABLE = FakeTransport.Answer.reply("application/json", "UNAVAILABLE",
      WireBody.encodeError(Codec.json().mapper(), Code.UNAVAILABLE, null, "the reply store is down"));

  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final FakeTransport transport = new FakeTransport(router);
  private final ClientTimer timer = new ClientTimer();
  private final ClientWork work = new ClientWork();
  private final ServiceDescriptor service = ServiceDescriptor.parse(Svc.class, Codec.json(), Duration.ofSeconds(5));
  private CallEngine engine;

  @AfterEach
  void shutdown() {
    engine.close();
    timer.shutdown();
    work.shutdown();
    transport.shutdown();
  }

  private void engine(ClientInterceptor... interceptors) {
    FormatRefused formats = new FormatRefused(WireFormat.JSON);
    CorrelationIds ids = new CorrelationIds();
    Sender sender = new Sender(Codec.json(), 100, new MessageSizeLimit(1 << 20), router, transport, () -> {}, formats,
        ids, true, ClientSettings.DEFAULT_STREAM_WINDOW);
    engine = new CallEngine(router, new Completions(null), timer, work, transport, sender, new RetryPolicy(formats),
        formats, ids, new CallDeadlines(router, timer), List.of(interceptors), System::nanoTime);
  }

  private Object call(String method, Object... args) throws Throwable {
    for (java.lang.reflect.Method m : Svc.class.getMethods()) {
      if (m.getName().equals(method)) {
        return engine.call(service, service.forMethod(m), args);
      }
    }
    throw new IllegalArgumentException(method);
  }

  private String keyOf(int request) {
    Object key = transport.published.get(request).properties().getHeaders().get("rpc-call-key");
    return key == null ? null : key.toString();
  }

  @Test
  void everyAttemptOfACallCarriesItsOneKeyAndEachCallItsOwn() throws Throwable {
    engine();
    AtomicInteger attempts = new AtomicInteger();
    transport.server = request -> attempts.incrementAndGet() == 1 ? UNAVAILABLE : OK;
    assertEquals("v", call("pay", "acme", 100L));
    assertEquals(2, transport.published.size(), "retried after UNAVAILABLE, as an @Idempotent call is");
    assertNotNull(keyOf(0));
    assertEquals(keyOf(0), keyOf(1));
    assertNotEquals(transport.published.get(0).properties().getCorrelationId(),
        transport.published.get(1).properties().getCorrelationId(), "each attempt has its own correlation id");

    assertEquals("v", call("pay", "acme", 100L));
    assertNotEquals(keyOf(0), keyOf(2), "another call of the same arguments is another call");

    attempts.set(0);
    @SuppressWarnings("unchecked")
    CompletableFuture<String> later = (CompletableFuture<String>) call("payLater", "acme", 5L);
    assertEquals("v", later.get(5, TimeUnit.SECONDS));
    assertEquals(keyOf(3), keyOf(4));
  }

  @Test
  void aCallKeyArgumentIsTheKey() throws Throwable {
    engine();
    transport.server = request -> OK;
    call("order", "order-17", 2);
    call("order", "order-17", 2);
    assertEquals("order-17", keyOf(0));
    assertEquals("order-17", keyOf(1), "a restarted caller retries with the same key");
    RpcException empty = assertThrows(RpcException.class, () -> call("order", "", 2));
    assertEquals(Code.INVALID_ARGUMENT, empty.code());
    assertTrue(empty.getMessage().contains("call key is null or empty"), empty.getMessage());
    assertEquals(2, transport.published.size(), "not sent");
  }

  @Test
  void aMethodNotDeduplicatedCarriesNoKey() throws Throwable {
    engine();
    transport.server = request -> OK;
    call("echo", "x");
    assertNull(keyOf(0));
  }

  @Test
  void anInterceptorMaySetTheKeyForEveryAttempt() throws Throwable {
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    engine((call, chain) -> {
      seen.add(call.callKey());
      return chain.proceed(call.attempt() == 1 ? call.withCallKey("from-the-inbox-17") : call);
    });
    AtomicInteger attempts = new AtomicInteger();
    transport.server = request -> attempts.incrementAndGet() == 1 ? UNAVAILABLE : OK;
    call("pay", "acme", 1L);
    assertEquals("from-the-inbox-17", keyOf(0));
    assertEquals("from-the-inbox-17", keyOf(1));
    assertEquals("from-the-inbox-17", seen.get(1), "the second attempt starts with the key the first one set");
    ClientCall plain = new ClientCall(service, service.forWireName("echo"), new Object[] {"x"},
        Deadline.after(1, TimeUnit.SECONDS), 1, "id", java.util.Map.of());
    assertThrows(IllegalStateException.class, () -> plain.withCallKey("k"));
  }
}
