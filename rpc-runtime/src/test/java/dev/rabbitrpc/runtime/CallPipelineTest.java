package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The call pipeline ({@link CallEngine}, {@link Sender}, {@link RetryPolicy}) on an in-memory
 * transport ({@link FakeTransport}), no broker: every shape, retry and its absence, the JSON
 * fallback, the preconditions, and the deadline on an injected ticker.
 */
class CallPipelineTest {
  interface Svc {
    String echo(String value);

    CompletableFuture<String> echoLater(String value);

    @Idempotent
    String lookup(String key);

    @Idempotent
    CompletableFuture<String> lookupLater(String key);

    @OneWay
    void tell(String value);

    @OneWay
    CompletableFuture<Void> tellLater(String value);
  }

  private static final byte[] V = "\"v\"".getBytes(StandardCharsets.UTF_8);
  private static final FakeTransport.Answer OK = FakeTransport.Answer.reply("application/json", "OK", V);

  /** The test's clock: real time plus what a test adds. */
  private final AtomicLong skewNanos = new AtomicLong();
  private final Deadline.Ticker ticker = () -> System.nanoTime() + skewNanos.get();
  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final FakeTransport transport = new FakeTransport(router);
  private final ClientTimer timer = new ClientTimer();
  private final ClientWork work = new ClientWork();
  private final ServiceDescriptor service = ServiceDescriptor.parse(Svc.class, Codec.json(), Duration.ofSeconds(5));
  private Sender sender;
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

  private CallEngine engine(WireFormat format, int maxMessageSize, ClientInterceptor... interceptors) {
    FormatRefused formats = new FormatRefused(format);
    CorrelationIds ids = new CorrelationIds();
    sender = new Sender(Codec.json(), 100, new MessageSizeLimit(maxMessageSize), router, transport, () -> {}, formats,
        ids, true, ClientSettings.DEFAULT_STREAM_WINDOW);
    engine = new CallEngine(router, new Completions(null), timer, work, transport, sender, new RetryPolicy(formats),
        formats, ids, new CallDeadlines(router, timer), List.of(interceptors), ticker);
    return engine;
  }

  private CallEngine engine(ClientInterceptor... interceptors) {
    return engine(WireFormat.JSON, 1 << 20, interceptors);
  }

  private Object call(String method, Object... args) throws Throwable {
    for (java.lang.reflect.Method m : Svc.class.getMethods()) {
      if (m.getName().equals(method)) {
        return engine.call(service, service.forMethod(m), args);
      }
    }
    throw new IllegalArgumentException(method);
  }

  private static RpcException failure(CompletableFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    return assertInstanceOf(RpcException.class, e.getCause());
  }

  @Test
  void aSyncCallReturnsItsReply() throws Throwable {
    engine();
    transport.server = request -> OK;
    assertEquals("v", call("echo", "x"));
    assertEquals(1, transport.published.size());
    assertEquals("fake-reply-to", transport.published.get(0).properties().getReplyTo());
    assertEquals(0, engine.pendingCalls());
  }

  @Test
  void anAsyncCallCompletesItsFuture() throws Throwable {
    engine();
    transport.server = request -> OK;
    @SuppressWarnings("unchecked")
    CompletableFuture<String> future = (CompletableFuture<String>) call("echoLater", "x");
    assertEquals("v", future.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aOneWayCallIsSentWithoutReplyToAndEndsAtTheConfirm() throws Throwable {
    engine();
    assertNull(call("tell", "x"));
    @SuppressWarnings("unchecked")
    CompletableFuture<Object> later = (CompletableFuture<Object>) call("tellLater", "y");
    assertNull(later.get(5, TimeUnit.SECONDS));
    assertEquals(2, transport.published.size());
    for (FakeTransport.Request request : transport.published) {
      assertTrue(request.oneWay());
      assertNull(request.properties().getReplyTo());
    }
  }

  @Test
  void anIdempotentCallIsRetriedOnUnavailableWithinItsDeadline() throws Throwable {
    engine();
    AtomicInteger attempts = new AtomicInteger();
    transport.server = request -> attempts.incrementAndGet() == 1 ? FakeTransport.Answer.publishFails("lost") : OK;
    assertEquals("v", call("lookup", "k"));
    assertEquals(2, attempts.get());
    assertEquals(1, engine.retries());

    attempts.set(0);
    @SuppressWarnings("unchecked")
    CompletableFuture<String> future = (CompletableFuture<String>) call("lookupLater", "k");
    assertEquals("v", future.get(5, TimeUnit.SECONDS));
    assertEquals(2, attempts.get());
    assertEquals(2, engine.retries());
  }

  @Test
  void aRetryRunsItsInterceptorsOnAClientWorker() throws Throwable {
    List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    engine((call, chain) -> {
      threads.add(Thread.currentThread().getName());
      return chain.proceed(call);
    });
    AtomicInteger attempts = new AtomicInteger();
    transport.server = request -> attempts.incrementAndGet() == 1 ? FakeTransport.Answer.publishFails("lost") : OK;
    assertEquals("v", call("lookup", "k"));
    assertEquals(2, threads.size());
    assertEquals(Thread.currentThread().getName(), threads.get(0), "the first attempt on the caller's thread");
    assertTrue(threads.get(1).startsWith("rpc-client-work"), threads.get(1));
  }

  @Test
  void aCallNotIdempotentIsNotRetried() {
    engine();
    AtomicInteger attempts = new AtomicInteger();
    transport.server = request -> {
      attempts.incrementAndGet();
      return FakeTransport.Answer.publishFails("lost");
    };
    RpcException e = assertThrows(RpcException.class, () -> call("echo", "x"));
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("lost"), e.getMessage());
    assertEquals(1, attempts.get());
    assertEquals(0, engine.retries());
  }

  @Test
  void anIdempotentCallIsNotRetriedPastItsDeadline() {
    engine();
    transport.server = request -> {
      skewNanos.addAndGet(TimeUnit.SECONDS.toNanos(10)); // the call's 5 s are gone by the time it fails
      return FakeTransport.Answer.publishFails("lost");
    };
    RpcException e = assertThrows(RpcException.class, () -> call("lookup", "k"));
    assertEquals(Code.UNAVAILABLE, e.code());
    assertEquals(0, engine.retries());
  }

  @Test
  void aCborCallRefusedForItsFormatIsSentAgainInJsonAndItsQueueStaysJson() throws Throwable {
    engine(WireFormat.CBOR, 1 << 20);
    transport.server = request -> "application/cbor".equals(request.properties().getContentType())
        ? FakeTransport.Answer.reply("application/json", "PROTOCOL", WireBody.encodeError(Codec.json().mapper(),
            Code.PROTOCOL, null, "malformed JSON: Invalid UTF-8 start byte 0xa2"))
        : OK;
    assertEquals("v", call("echo", "x"));
    assertEquals(List.of("application/cbor", "application/json"),
        transport.published.stream().map(r -> r.properties().getContentType()).toList());
    assertEquals("v", call("echo", "y"));
    assertEquals("application/json", transport.published.get(2).properties().getContentType(), "JSON from now on");
  }

  @Test
  void aClosedClientSendsNothing() throws Throwable {
    engine().close();
    assertEquals(Code.CANCELLED, assertThrows(RpcException.class, () -> call("echo", "x")).code());
    assertEquals(Code.CANCELLED, failure((CompletableFuture<?>) call("echoLater", "x")).code());
    assertEquals(Code.CANCELLED, failure((CompletableFuture<?>) call("tellLater", "x")).code());
    assertEquals(0, transport.published.size());
  }

  @Test
  void aCallWhoseDeadlinePassedBeforeSendingIsNotSent() throws Throwable {
    engine((call, chain) -> {
      skewNanos.addAndGet(TimeUnit.SECONDS.toNanos(10));
      return chain.proceed(call);
    });
    RpcException e = assertThrows(RpcException.class, () -> call("echo", "x"));
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    assertEquals(DeadlineCause.NOT_SENT, e.deadlineCause());
    assertEquals(0, transport.published.size());
  }

  @Test
  void aRequestOverTheSizeLimitIsNotSent() throws Throwable {
    engine(WireFormat.JSON, 64);
    String big = "x".repeat(100);
    RpcException e = assertThrows(RpcException.class, () -> call("echo", big));
    assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
    assertEquals(Code.RESOURCE_EXHAUSTED, failure((CompletableFuture<?>) call("echoLater", big)).code());
    assertEquals(Code.RESOURCE_EXHAUSTED, failure((CompletableFuture<?>) call("tellLater", big)).code());
    assertEquals(0, transport.published.size());
  }

  @Test
  void aSyncCallWithoutAReplyFailsAtItsDeadlineOnTheTicker() {
    engine();
    transport.server = request -> {
      skewNanos.addAndGet(TimeUnit.SECONDS.toNanos(10)); // sent, then its 5 s pass at once: no real waiting
      return null;
    };
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> call("echo", "x"));
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 4_000, "ended on the ticker, not the clock");
    assertEquals(0, engine.pendingCalls());
  }
}
