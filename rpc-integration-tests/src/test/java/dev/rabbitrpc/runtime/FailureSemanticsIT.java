package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines that travel, retries only where safe, redelivery, limits and queue options. */
@RpcBrokerTest
class FailureSemanticsIT {
  private final TestBroker broker;

  private final String queue = TestBroker.uniqueQueue("semantics");
  private final String innerQueue = TestBroker.uniqueQueue("semantics-inner");

  FailureSemanticsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueues() throws Exception {
    broker.deleteQueue(queue);
    broker.deleteQueue(innerQueue);
  }

  interface Counter {
    int increment(String key);

    @Idempotent
    int read(String key);

    @Idempotent
    CompletableFuture<Integer> readAsync(String key);

    String echo(String value);
  }

  static final class CounterImpl implements Counter {
    final AtomicInteger increments = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();

    @Override public int increment(String key) {
      return increments.incrementAndGet();
    }

    @Override public int read(String key) {
      return reads.incrementAndGet();
    }

    @Override public CompletableFuture<Integer> readAsync(String key) {
      return CompletableFuture.completedFuture(read(key));
    }

    @Override public String echo(String value) {
      return value;
    }
  }

  interface Outer {
    /** Short beside the inner client's 20 s, long enough for a loaded machine to deliver the request. */
    @Timeout(2_000)
    String relay(long innerMillis);
  }

  interface Inner {
    String sleep(long millis);
  }

  @Test
  void callsFromInsideAHandlerInheritTheCallersRemainingDeadline() throws Exception {
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(20)));
    CountDownLatch innerRelease = new CountDownLatch(1);
    client.export(Inner.class, millis -> {
      try {
        innerRelease.await(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "inner done";
    }, innerQueue);
    Inner inner = client.proxy(Inner.class, innerQueue);
    assertEquals("inner done", inner.sleep(0)); // connected and warm: the outer deadline is spent on the call
    AtomicInteger innerFailuresSeen = new AtomicInteger();
    AtomicReference<RpcException> innerFailure = new AtomicReference<>();
    AtomicLong innerMillisToFail = new AtomicLong();
    client.export(Outer.class, innerMillis -> {
      long start = System.nanoTime();
      try {
        return inner.sleep(innerMillis); // default timeout 20 s, but the caller gave 2 s in all
      } catch (RpcException e) {
        innerMillisToFail.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        innerFailure.set(e);
        innerFailuresSeen.incrementAndGet();
        throw e;
      }
    }, queue);
    try {
      RpcException e = assertThrows(RpcException.class, () -> client.proxy(Outer.class, queue).relay(10_000));
      assertEquals(Code.DEADLINE_EXCEEDED, e.code());
      TestBroker.await(Duration.ofSeconds(10), "the inner call to give up", () -> innerFailuresSeen.get() == 1);
      assertEquals(Code.DEADLINE_EXCEEDED, innerFailure.get().code());
      // It gave up at the outer deadline (2 s at most), not after its own 20 s nor when the inner
      // handler answers (10 s): 5 s tells these apart with room for a loaded machine.
      assertTrue(innerMillisToFail.get() < 5_000, "the inner call failed after " + innerMillisToFail.get() + " ms");
    } finally {
      innerRelease.countDown();
    }
  }

  @Test
  void retriesAnIdempotentCallOnUnavailableUntilAServerAppears() throws Exception {
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(10)));
    Counter counter = client.proxy(Counter.class, queue);
    CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> counter.read("k"));
    // No queue yet: every attempt comes back unroutable (UNAVAILABLE) and is retried with backoff.
    CounterImpl implementation = new CounterImpl();
    TestBroker.await(Duration.ofSeconds(5), "a retry", () -> client.stats().retries() >= 1);
    assertTrue(!call.isDone(), "still retrying");
    broker.client().export(Counter.class, implementation, queue);
    assertEquals(1, call.get(15, TimeUnit.SECONDS));
    assertEquals(1, implementation.reads.get());
  }

  @Test
  void retriesAnAsyncIdempotentCallToo() throws Exception {
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(10)));
    CompletableFuture<Integer> call = client.proxy(Counter.class, queue).readAsync("k");
    TestBroker.await(Duration.ofSeconds(5), "a retry", () -> client.stats().retries() >= 1);
    assertTrue(!call.isDone(), "still retrying");
    broker.client().export(Counter.class, new CounterImpl(), queue);
    assertEquals(1, call.get(15, TimeUnit.SECONDS));
  }

  @Test
  void neverRetriesANonIdempotentCall() {
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(10)));
    TestBroker.connect(client);
    Counter counter = client.proxy(Counter.class, queue);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> counter.increment("k"));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    // Retried, it would go on until its 10 s deadline (see givesUpRetryingAtTheDeadline); the
    // first return fails it at once. Half the deadline tells the two apart on a loaded machine.
    assertTrue(elapsedMillis < 5_000, "failed after " + elapsedMillis + " ms: retried");
  }

  @Test
  void givesUpRetryingAtTheDeadline() {
    RpcClient client = broker.client(b -> b.timeout(Duration.ofMillis(700)));
    TestBroker.connect(client); // the 700 ms are the retries', not the connection's
    Counter counter = client.proxy(Counter.class, queue);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> counter.read("k"));
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    // Backoffs of 25-50, 50-100, 100-200 and 200-400 ms fit in 700 ms: it retried for 300 ms at
    // least. It gives up when the next backoff would pass the deadline, so by the deadline; the 1 s
    // more is for a loaded machine (the product promises the deadline, this checks it is kept).
    assertTrue(elapsed >= 300 && elapsed < 700 + 1_000, "retried for " + elapsed + " ms");
  }

  /**
   * A server that took a request and died before acking it (here: a raw consumer whose channel
   * closes) leaves it to be redelivered: an idempotent method runs again, any other does not.
   */
  @Test
  void runsARedeliveredRequestOnlyIfItsMethodIsIdempotent() throws Exception {
    RpcClient client = broker.client();
    Counter counter = client.proxy(Counter.class, queue);
    Channel dying = broker.rawConnection().createChannel();
    dying.queueDeclare(queue, true, false, false, null);
    dying.basicQos(2);
    CountDownLatch taken = new CountDownLatch(2);
    dying.basicConsume(queue, false, new DefaultConsumer(dying) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        taken.countDown(); // never acked
      }
    });
    CompletableFuture<Integer> increment = CompletableFuture.supplyAsync(() -> counter.increment("k"));
    CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> counter.read("k"));
    assertTrue(taken.await(10, TimeUnit.SECONDS));

    CounterImpl implementation = new CounterImpl();
    client.export(Counter.class, implementation, queue);
    dying.close(); // the "crash": both requests go back to the queue, marked redelivered

    ExecutionException e = assertThrows(ExecutionException.class, () -> increment.get(10, TimeUnit.SECONDS));
    assertEquals(Code.UNAVAILABLE, assertInstanceOf(RpcException.class, e.getCause()).code());
    assertEquals(1, read.get(10, TimeUnit.SECONDS));
    assertEquals(0, implementation.increments.get(), "a non-idempotent request is never run twice");
  }

  @Test
  void failsWithUnavailableWellBeforeTheDeadlineWhenNothingConsumesTheQueue() throws Exception {
    try (Channel channel = broker.rawConnection().createChannel()) {
      channel.queueDeclare(queue, true, false, false, null); // the queue exists, every server is gone
    }
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(10)));
    TestBroker.connect(client); // the window below holds the detection, not the connection
    Counter counter = client.proxy(Counter.class, queue);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> counter.echo("anyone?"));
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("no server consumes queue " + queue), e.getMessage());
    // The probe asks after 500 ms (ConsumerProbe): detected in about 600 ms, well before the 10 s
    // deadline. Half the deadline tells the two apart with room for a loaded machine.
    assertTrue(elapsed < 5_000, "detected after " + elapsed + " ms");
  }

  /**
   * A backlog (a server busy, calls waiting in the queue past the probe's 0.5 s) is probed with a
   * back-off, not ten times a second (docs/SCALING.md), and a server that leaves during it is still
   * noticed long before the deadline.
   */
  @Test
  void aBacklogIsProbedWithBackOffAndAServerLeavingItIsStillNoticed() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    RpcClient serverClient = broker.client(b -> b.workers(1).shutdownGrace(Duration.ofSeconds(5)));
    RpcServer server = serverClient.export(Inner.class, millis -> {
      running.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "done";
    }, queue);
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(30)));
    TestBroker.connect(client);
    Inner inner = client.proxy(Inner.class, queue);
    java.util.List<CompletableFuture<String>> calls = new java.util.ArrayList<>();
    try {
      long start = System.nanoTime();
      for (int i = 0; i < 8; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> inner.sleep(1)));
      }
      assertTrue(running.await(10, TimeUnit.SECONDS), "the server runs the first call");
      // One call runs, the others wait in the queue: the probe finds a consumer each time it asks.
      TestBroker.await(Duration.ofSeconds(20), "three probes of the backlog", () -> client.stats().consumerProbes() >= 3);
      double seconds = (System.nanoTime() - start) / 1e9;
      long probes = client.stats().consumerProbes();
      // Without the back-off: a probe every 100 ms sweep from 0.5 s on, 3 of them by 0.8 s. With it:
      // at about 0.5, 1 and 2 s, then every 4 s.
      assertTrue(probes <= 2 + seconds, probes + " probes in " + String.format("%.1f", seconds) + " s");
      assertTrue(calls.stream().noneMatch(CompletableFuture::isDone), "a backlog is not a missing server");

      release.countDown(); // the running call ends, then the server leaves while the others wait
      server.close();
      long left = System.nanoTime();
      int unavailable = 0;
      for (CompletableFuture<String> call : calls) {
        try {
          assertEquals("done", call.get(20, TimeUnit.SECONDS)); // run before the server stopped consuming
        } catch (ExecutionException e) {
          RpcException failure = assertInstanceOf(RpcException.class, e.getCause());
          assertEquals(Code.UNAVAILABLE, failure.code(), failure.getMessage());
          unavailable++;
        }
      }
      long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - left);
      assertTrue(unavailable > 0, "some calls were still queued when the server left");
      // The back-off reached at most 4 s: noticed within that, a sweep and a round trip, not at the
      // 30 s deadline. Half the deadline tells the two apart with room for a loaded machine.
      assertTrue(noticedMillis < 15_000, "noticed after " + noticedMillis + " ms");
    } finally {
      release.countDown();
    }
  }

  @Test
  void failsWithResourceExhaustedBeyondMaxInFlight() throws Exception {
    RpcClient client = broker.client(b -> b.maxInFlight(2));
    CountDownLatch release = new CountDownLatch(1);
    broker.client().export(Inner.class, millis -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "done";
    }, queue);
    Inner inner = client.proxy(Inner.class, queue);
    try {
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> inner.sleep(1));
      CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> inner.sleep(1));
      TestBroker.await(Duration.ofSeconds(5), "two calls in flight", () -> client.stats().pendingCalls() == 2);
      RpcException e = assertThrows(RpcException.class, () -> inner.sleep(1));
      assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
      release.countDown();
      assertEquals("done", first.get(10, TimeUnit.SECONDS));
      assertEquals("done", second.get(10, TimeUnit.SECONDS));
    } finally {
      release.countDown();
    }
  }

  @Test
  void refusesToSendARequestAboveTheSizeLimit() throws Exception {
    CounterImpl implementation = new CounterImpl();
    broker.client().export(Counter.class, implementation, queue);
    Counter counter = broker.client(b -> b.maxMessageSize(1024)).proxy(Counter.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> counter.echo("x".repeat(2_000)));
    assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
    assertEquals("small", counter.echo("small"));
  }

  @Test
  void answersARequestAboveTheServersLimitWithResourceExhaustedBeforeParsing() throws Exception {
    broker.client(b -> b.maxMessageSize(1024)).export(Counter.class, new CounterImpl(), queue);
    Counter counter = broker.client().proxy(Counter.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> counter.echo("x".repeat(2_000)));
    assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
    assertEquals("small", counter.echo("small"));
  }

  @Test
  @RequiresRabbitMq("quorum queues")
  void declaresAQuorumRequestQueueWhenAsked() throws Exception {
    broker.client(b -> b.quorumQueues(true)).export(Counter.class, new CounterImpl(), queue);
    assertEquals("q", broker.client().proxy(Counter.class, queue).echo("q"));
    Channel channel = broker.rawConnection().createChannel();
    // Declaring it as a classic queue now fails: the broker has a quorum queue.
    IOException mismatch = assertThrows(IOException.class, () -> channel.queueDeclare(queue, true, false, false, null));
    assertTrue(String.valueOf(mismatch.getCause()).contains("PRECONDITION_FAILED"), String.valueOf(mismatch.getCause()));
  }

  @Test
  @RequiresRabbitMq("dead-letter exchanges (x-dead-letter-exchange)")
  void deadLettersARequestWithoutReplyToWhenTheQueueHasADeadLetterExchange() throws Exception {
    String exchange = "test.dlx." + queue;
    Channel channel = broker.rawConnection().createChannel();
    channel.exchangeDeclare(exchange, "fanout", false, true, null);
    String dead = channel.queueDeclare().getQueue();
    channel.queueBind(dead, exchange, "");
    try {
      broker.client(b -> b.deadLetterExchange(exchange)).export(Counter.class, new CounterImpl(), queue);
      channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().contentType("application/json").build(),
          "{\"method\":\"echo\",\"args\":[\"lost\"]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      GetResponse[] got = new GetResponse[1];
      TestBroker.await(Duration.ofSeconds(10), "the request to be dead-lettered", () -> {
        try {
          got[0] = channel.basicGet(dead, true);
          return got[0] != null;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertEquals("{\"method\":\"echo\",\"args\":[\"lost\"]}", new String(got[0].getBody(), java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      channel.exchangeDelete(exchange);
    }
  }

  @Test
  void connectsToTheFirstReachableAddressOfAList() {
    broker.client().export(Counter.class, new CounterImpl(), queue);
    ConnectionFactory test = RpcClient.Builder.factoryFor(broker.uri());
    String reachable = test.getHost() + ":" + test.getPort();
    RpcClient client = broker.client(b -> b.addresses("127.0.0.1:1", reachable));
    assertEquals("listed", client.proxy(Counter.class, queue).echo("listed"));
    assertTrue(client.toString().contains("127.0.0.1:1," + reachable), client.toString());
  }
}
