package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The server's side of replayed replies ({@link Deduplicator} in the {@link Dispatcher}) with an
 * {@link InMemoryReplyStore}, no broker: a call key runs once, its reply is replayed bit for bit,
 * a duplicate waits for the run in progress, a key reused for another request is refused, and what
 * is kept (results, declared exceptions) against what is abandoned (undeclared exceptions).
 */
class DeduplicatorTest {
  static class Overdrawn extends Exception {
    private static final long serialVersionUID = 1L;

    Overdrawn(String message) {
      super(message);
    }
  }

  @RpcService(queue = "dedup.ledger")
  interface Ledger {
    @Deduplicated
    long add(long amount) throws Overdrawn;

    @Deduplicated
    CompletableFuture<Long> addLater(long amount);

    @Deduplicated
    String order(@CallKey String orderId, int quantity);

    long plain(long amount);
  }

  /** Counts runs; blocks in add while {@link #gate} is set, after counting down {@link #entered}. */
  static final class LedgerImpl implements Ledger {
    final AtomicInteger runs = new AtomicInteger();
    final AtomicLong balance = new AtomicLong();
    volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);

    @Override
    public long add(long amount) throws Overdrawn {
      runs.incrementAndGet();
      entered.countDown();
      CountDownLatch g = gate;
      if (g != null) {
        try {
          assertTrue(g.await(10, TimeUnit.SECONDS), "the test never opened the gate");
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      if (amount < 0 && balance.get() + amount < 0) {
        throw new Overdrawn("balance " + balance.get() + " cannot pay " + -amount);
      }
      if (amount == 13) {
        throw new IllegalStateException("unlucky"); // undeclared: not kept
      }
      return balance.addAndGet(amount);
    }

    @Override
    public CompletableFuture<Long> addLater(long amount) {
      runs.incrementAndGet();
      return CompletableFuture.completedFuture(balance.addAndGet(amount));
    }

    @Override
    public String order(String orderId, int quantity) {
      runs.incrementAndGet();
      return orderId + " x" + quantity;
    }

    @Override
    public long plain(long amount) {
      runs.incrementAndGet();
      return balance.addAndGet(amount);
    }
  }

  /** A reply as the sink got it. */
  record Reply(String status, byte[] body, boolean replayed) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  static final class Sink implements ReplySink {
    final CompletableFuture<Reply> reply = new CompletableFuture<>();

    @Override
    public void reply(String status, byte[] body) {
      reply.complete(new Reply(status, body, false));
    }

    @Override
    public void replayed(String status, byte[] body, Map<String, String> replyHeaders) {
      reply.complete(new Reply(status, body, true));
    }

    Reply get() throws Exception {
      return reply.get(10, TimeUnit.SECONDS);
    }
  }

  private final LedgerImpl ledger = new LedgerImpl();
  private final InMemoryReplyStore store = new InMemoryReplyStore();
  private final Dispatcher dispatcher = new Dispatcher(ServiceDescriptor.parse(Ledger.class, Codec.json(),
      Duration.ofSeconds(5)), ledger, Codec.json(), new MessageSizeLimit(1 << 20), List.of(), true, store);

  private Sink send(String key, String method, String args, long deadlineMillis, boolean redelivered) {
    Map<String, Object> headers = new HashMap<>();
    headers.put("rpc-protocol", 1);
    headers.put("rpc-deadline", System.currentTimeMillis() + deadlineMillis);
    if (key != null) {
      headers.put("rpc-call-key", key);
    }
    Sink sink = new Sink();
    dispatcher.dispatch(WireFormat.JSON.contentType, headers,
        ("{\"method\":\"" + method + "\",\"args\":[" + args + "]}").getBytes(StandardCharsets.UTF_8), redelivered,
        "c-" + System.nanoTime(), sink);
    return sink;
  }

  private Sink send(String key, String method, String args) {
    return send(key, method, args, 5_000, false);
  }

  private ServerStats stats() {
    return ServerStats.of(dispatcher, 0);
  }

  @Test
  void aCallKeyRunsOnceAndItsReplyIsReplayedBitForBit() throws Exception {
    Reply first = send("k1", "add", "5").get();
    Reply second = send("k1", "add", "5").get();
    Reply third = send("k1", "add", "5", 5_000, true).get(); // redelivered: the store knows the key
    assertEquals("OK", first.status());
    assertEquals("5", first.text());
    assertFalse(first.replayed());
    assertTrue(second.replayed() && third.replayed());
    assertArrayEquals(first.body(), second.body());
    assertArrayEquals(first.body(), third.body());
    assertEquals(1, ledger.runs.get());
    assertEquals(5, ledger.balance.get());
    assertEquals(2, stats().replayedReplies());

    assertEquals("10", send("k2", "add", "5").get().text(), "another key is another call");
    assertEquals(2, ledger.runs.get());
  }

  @Test
  void aKeyReusedForOtherArgumentsIsRefusedWithoutRunning() throws Exception {
    send("k1", "add", "5").get();
    Reply reused = send("k1", "add", "6").get();
    assertEquals("INVALID_ARGUMENT", reused.status());
    assertTrue(reused.text().contains("call key k1 was used before for another request"), reused.text());
    Reply otherMethod = send("k1", "addLater", "5").get();
    assertEquals("INVALID_ARGUMENT", otherMethod.status());
    assertEquals(1, ledger.runs.get());
  }

  @Test
  void aDuplicateWaitsForTheRunInProgressAndGetsItsReply() throws Exception {
    ledger.gate = new CountDownLatch(1);
    CompletableFuture<Sink> first = CompletableFuture.supplyAsync(() -> send("k1", "add", "7"));
    assertTrue(ledger.entered.await(10, TimeUnit.SECONDS));
    CompletableFuture<Sink> duplicate = CompletableFuture.supplyAsync(() -> send("k1", "add", "7"));
    ledger.gate.countDown();
    Reply original = first.get(10, TimeUnit.SECONDS).get();
    Reply replayed = duplicate.get(10, TimeUnit.SECONDS).get();
    assertEquals("7", original.text());
    assertArrayEquals(original.body(), replayed.body());
    assertTrue(replayed.replayed());
    assertEquals(1, ledger.runs.get());
  }

  @Test
  void aDuplicateStillWaitingAtItsDeadlineIsAnsweredBusyAndALaterOneReplays() throws Exception {
    ledger.gate = new CountDownLatch(1);
    CompletableFuture<Sink> first = CompletableFuture.supplyAsync(() -> send("k1", "add", "7"));
    assertTrue(ledger.entered.await(10, TimeUnit.SECONDS));
    Reply busy = send("k1", "add", "7", 200, false).get(); // waits its 200 ms on this thread
    assertEquals("DEADLINE_EXCEEDED", busy.status());
    assertTrue(busy.text().contains("is still running"), busy.text());
    ledger.gate.countDown();
    assertEquals("7", first.get(10, TimeUnit.SECONDS).get().text());
    assertTrue(send("k1", "add", "7").get().replayed());
    assertEquals(1, ledger.runs.get());
    assertEquals(1, stats().busyRequests());
    assertEquals(1, stats().inProgressWaits());
  }

  @Test
  void aDeclaredExceptionIsKeptAndReplayedAnUndeclaredOneIsNot() throws Exception {
    Reply overdrawn = send("k1", "add", "-5").get();
    assertEquals("APPLICATION_ERROR", overdrawn.status());
    assertTrue(overdrawn.text().contains("Overdrawn"), overdrawn.text());
    Reply again = send("k1", "add", "-5").get();
    assertTrue(again.replayed());
    assertArrayEquals(overdrawn.body(), again.body());
    assertEquals(1, ledger.runs.get());

    assertEquals("APPLICATION_ERROR", send("k2", "add", "13").get().status());
    Reply rerun = send("k2", "add", "13").get();
    assertFalse(rerun.replayed(), "a failure the method does not declare is not an answer: it runs again");
    assertEquals(3, ledger.runs.get());
  }

  @Test
  void theInterceptorsRunBeforeAnyClaimSoAReplayIsRefusedToWhomTheyRefuse() throws Exception {
    ServerInterceptor authenticating = (call, chain) -> "secret".equals(call.headers().get("token")) ? chain.proceed(call)
        : CompletableFuture.failedFuture(new dev.rabbitrpc.api.RpcException(
            dev.rabbitrpc.api.RpcException.Code.UNAUTHENTICATED, "no token"));
    Dispatcher guarded = new Dispatcher(ServiceDescriptor.parse(Ledger.class, Codec.json(), Duration.ofSeconds(5)), ledger,
        Codec.json(), new MessageSizeLimit(1 << 20), List.of(authenticating), true, store);
    Reply first = send(guarded, "k1", "add", "5", Map.of("token", "secret")).get();
    assertEquals("5", first.text());
    Reply stranger = send(guarded, "k1", "add", "5", Map.of()).get();
    assertEquals("UNAUTHENTICATED", stranger.status(), "no replay for a caller the interceptors refuse");
    assertFalse(stranger.replayed());
    Reply again = send(guarded, "k1", "add", "5", Map.of("token", "secret")).get();
    assertTrue(again.replayed());
    assertArrayEquals(first.body(), again.body());
    assertEquals(1, ledger.runs.get());
  }

  private Sink send(Dispatcher to, String key, String method, String args, Map<String, String> application) {
    Map<String, Object> headers = new HashMap<>(application);
    headers.put("rpc-protocol", 1);
    headers.put("rpc-deadline", System.currentTimeMillis() + 5_000);
    headers.put("rpc-call-key", key);
    Sink sink = new Sink();
    to.dispatch(WireFormat.JSON.contentType, headers,
        ("{\"method\":\"" + method + "\",\"args\":[" + args + "]}").getBytes(StandardCharsets.UTF_8), false,
        "c-" + System.nanoTime(), sink);
    return sink;
  }

  @Test
  void aRunThatFailsAroundTheMethodIsInternalKeepsNothingAndTheInterceptorsSeeIt() throws Exception {
    // A store whose run fails after the method ran, as Spring's binding does for a rollback-only transaction.
    ReplyStore failingAround = new ReplyStore() {
      @Override
      public Claim claim(String scope, String key, byte[] fingerprint, Duration retention, Duration wait) throws Exception {
        Claim claim = store.claim(scope, key, fingerprint, retention, wait);
        if (!(claim instanceof Run run)) {
          return claim;
        }
        return new Run() {
          @Override
          public <T> T around(java.util.function.Supplier<T> handler) {
            handler.get();
            throw new IllegalStateException("marked rollback-only");
          }

          @Override
          public void complete(StoredReply reply) throws Exception {
            run.complete(reply);
          }

          @Override
          public void abandon() {
            run.abandon();
          }
        };
      }

      @Override
      public boolean durable() {
        return false;
      }
    };
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    ServerInterceptor observing = (call, chain) -> chain.proceed(call).whenComplete((value, failure) ->
        seen.add(failure == null ? "ok" : ((dev.rabbitrpc.api.RpcException) ReplyWriter.unwrap(failure)).code().name()));
    Dispatcher failing = new Dispatcher(ServiceDescriptor.parse(Ledger.class, Codec.json(), Duration.ofSeconds(5)), ledger,
        Codec.json(), new MessageSizeLimit(1 << 20), List.of(observing), true, failingAround);
    Reply reply = send(failing, "k1", "add", "5", Map.of()).get();
    assertEquals("INTERNAL", reply.status(), reply.text());
    assertTrue(reply.text().contains("marked rollback-only"), reply.text());
    assertEquals(List.of("INTERNAL"), seen);
    assertEquals(1, ledger.runs.get());
    Reply retried = send("k1", "add", "5").get();
    assertEquals("OK", retried.status());
    assertFalse(retried.replayed(), "nothing was kept: the key runs afresh");
    assertEquals(2, ledger.runs.get());
  }

  @Test
  void anAsyncMethodsReplyIsKeptToo() throws Exception {
    Reply first = send("k1", "addLater", "3").get();
    assertTrue(send("k1", "addLater", "3").get().replayed());
    assertEquals("3", first.text());
    assertEquals(1, ledger.runs.get());
  }

  @Test
  void aRedeliveredRequestWithANewKeyIsNotRunOnAStoreThatDoesNotOutliveItsServer() throws Exception {
    Reply redelivered = send("k9", "add", "5", 5_000, true).get();
    assertEquals("UNAVAILABLE", redelivered.status());
    assertTrue(redelivered.text().contains("does not outlive a server"), redelivered.text());
    assertEquals(0, ledger.runs.get());
    assertEquals("5", send("k9", "add", "5").get().text(), "the claim was released: a retry runs it");
  }

  @Test
  void aRequestWithoutAKeyRunsAsBefore() throws Exception {
    send(null, "add", "1").get();
    send(null, "add", "1").get();
    assertEquals(2, ledger.runs.get());
    assertEquals("UNAVAILABLE", send(null, "add", "1", 5_000, true).get().status(), "redelivered, not idempotent");
  }

  @Test
  void aMalformedKeyIsAProtocolError() throws Exception {
    Reply tooLong = send("k".repeat(201), "add", "1").get();
    assertEquals("PROTOCOL", tooLong.status());
    assertTrue(tooLong.text().contains("rpc-call-key"), tooLong.text());
    assertEquals(0, ledger.runs.get());
  }

  @Test
  void anEntryExpiresAfterItsRetention() throws Exception {
    AtomicLong now = new AtomicLong();
    InMemoryReplyStore clocked = new InMemoryReplyStore(now::get);
    byte[] print = {1, 2, 3};
    ReplyStore.Run run = (ReplyStore.Run) clocked.claim("q", "k", print, Duration.ofMinutes(5), Duration.ZERO);
    run.complete(new StoredReply("OK", new byte[] {42}, Map.of()));
    now.addAndGet(TimeUnit.MINUTES.toNanos(4));
    assertTrue(clocked.claim("q", "k", print, Duration.ofMinutes(5), Duration.ZERO) instanceof ReplyStore.Replay);
    now.addAndGet(TimeUnit.MINUTES.toNanos(2));
    assertTrue(clocked.claim("q", "k", print, Duration.ofMinutes(5), Duration.ZERO) instanceof ReplyStore.Run,
        "after its retention the key is new");
  }

  @Test
  void theMethodsThatCannotBeDeduplicatedAreRefusedWhenParsed() {
    assertThrows(IllegalArgumentException.class, () -> ServiceDescriptor.parse(Streaming.class, Codec.json(), Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> ServiceDescriptor.parse(KeyWithoutDedup.class, Codec.json(), Duration.ofSeconds(1)));
    IllegalArgumentException retention = assertThrows(IllegalArgumentException.class,
        () -> ServiceDescriptor.parse(ShortRetention.class, Codec.json(), Duration.ofSeconds(1)));
    assertTrue(retention.getMessage().contains("must be longer than the method's timeout"), retention.getMessage());
    IllegalArgumentException twoKeys = assertThrows(IllegalArgumentException.class,
        () -> ServiceDescriptor.parse(TwoKeys.class, Codec.json(), Duration.ofSeconds(1)));
    assertTrue(twoKeys.getMessage().contains("@CallKey on parameters #1 and #2"), twoKeys.getMessage());
  }

  interface Streaming {
    @Deduplicated
    Stream<String> items();
  }

  interface KeyWithoutDedup {
    String get(@CallKey String key);
  }

  interface ShortRetention {
    @Deduplicated(retention = 1, unit = TimeUnit.SECONDS)
    @Timeout(value = 2, unit = TimeUnit.SECONDS)
    String get(String key);
  }

  interface TwoKeys {
    @Deduplicated
    String get(@CallKey String a, @CallKey String b);
  }
}
