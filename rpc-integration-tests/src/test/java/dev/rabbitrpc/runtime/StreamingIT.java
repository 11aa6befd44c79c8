package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming replies end to end (client proxy → broker → server → items → end), on each broker of
 * the suite: order and completeness, the window that bounds what the server sends ahead of the
 * reader, cancellation reaching the producer, the whole-stream deadline and the idle timeout,
 * errors after items, unary calls beside a long stream, a cut connection (the reader's or the server's), and 64 MiB in messages
 * far below the broker's limit.
 */
@RpcBrokerTest
class StreamingIT {
  /** The window the flow-control tests use (the default is 64). */
  private static final int WINDOW = 16;

  public record Item(long seq, String payload) {}

  public static class OutOfStock extends Exception {
    private static final long serialVersionUID = 1L;

    public OutOfStock(String message) {
      super(message);
    }
  }

  @RpcService(queue = "streaming")
  public interface Catalog {
    Stream<Item> items(int count, int payloadBytes);

    Flow.Publisher<Item> published(int count);

    @Timeout(value = 20_000, idle = 2_000)
    Stream<Long> endless(String tag);

    @Timeout(20_000)
    Flow.Publisher<Long> endlessPublished(String tag);

    @Timeout(1_500)
    Stream<Long> slowForever(String tag);

    @Timeout(value = 20_000, idle = 500)
    Stream<Long> stalls(String tag);

    Stream<Long> failsAfter(int items) throws OutOfStock;

    Flow.Publisher<Long> runsOut(int items) throws OutOfStock;

    String ping(String text);
  }

  /** What the server side did, by test tag: items its producer made, and whether its stream was closed. */
  static final class Producers {
    final Map<String, AtomicLong> produced = new ConcurrentHashMap<>();
    final Map<String, CountDownLatch> closed = new ConcurrentHashMap<>();

    AtomicLong produced(String tag) {
      return produced.computeIfAbsent(tag, t -> new AtomicLong());
    }

    CountDownLatch closed(String tag) {
      return closed.computeIfAbsent(tag, t -> new CountDownLatch(1));
    }
  }

  static final class CatalogImpl implements Catalog {
    final Producers producers = new Producers();

    @Override
    public Stream<Item> items(int count, int payloadBytes) {
      String payload = "x".repeat(payloadBytes);
      return LongStream.range(0, count).mapToObj(i -> new Item(i, payload));
    }

    @Override
    public Flow.Publisher<Item> published(int count) {
      return subscriber -> {
        SubmissionPublisher<Item> publisher = new SubmissionPublisher<>();
        publisher.subscribe(subscriber);
        CompletableFuture.runAsync(() -> {
          for (int i = 0; i < count; i++) {
            publisher.submit(new Item(i, "p" + i));
          }
          publisher.close();
        });
      };
    }

    @Override
    public Stream<Long> endless(String tag) {
      AtomicLong produced = producers.produced(tag);
      return Stream.iterate(0L, i -> i + 1).peek(i -> produced.incrementAndGet())
          .onClose(() -> producers.closed(tag).countDown());
    }

    @Override
    public Flow.Publisher<Long> endlessPublished(String tag) {
      AtomicLong produced = producers.produced(tag);
      return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
        private long next;
        private boolean cancelled;

        @Override
        public synchronized void request(long n) {
          for (long i = 0; i < n && !cancelled; i++) {
            produced.incrementAndGet();
            subscriber.onNext(next++);
          }
        }

        @Override
        public synchronized void cancel() {
          cancelled = true;
          producers.closed(tag).countDown();
        }
      });
    }

    @Override
    public Stream<Long> slowForever(String tag) {
      return Stream.iterate(0L, i -> i + 1).peek(i -> sleep(50)).onClose(() -> producers.closed(tag).countDown());
    }

    @Override
    public Stream<Long> stalls(String tag) {
      return Stream.iterate(0L, i -> i + 1).peek(i -> {
        if (i == 3) {
          sleep(60_000); // stuck, until the idle timeout ends the stream and its cancel interrupts this
        }
      }).onClose(() -> producers.closed(tag).countDown());
    }

    @Override
    public Stream<Long> failsAfter(int items) throws OutOfStock {
      Iterator<Long> iterator = new Iterator<>() {
        private long next;

        @Override
        public boolean hasNext() {
          return true;
        }

        @Override
        public Long next() {
          if (next == items) {
            throw new IllegalStateException("out of stock after " + items);
          }
          return next++;
        }
      };
      return Stream.iterate(0L, i -> i + 1).map(i -> iterator.next());
    }

    @Override
    public Flow.Publisher<Long> runsOut(int items) {
      return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
        private long next;
        private boolean ended;

        @Override
        public synchronized void request(long n) {
          for (long i = 0; i < n && !ended; i++) {
            if (next == items) {
              ended = true;
              subscriber.onError(new OutOfStock("out of stock after " + items));
              return;
            }
            subscriber.onNext(next++);
          }
        }

        @Override
        public synchronized void cancel() {
          ended = true;
        }
      });
    }

    @Override
    public String ping(String text) {
      return text;
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private final TestBroker broker;
  private String queue;
  private CatalogImpl implementation;
  private Catalog catalog;

  StreamingIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void export() throws Exception {
    queue = TestBroker.uniqueQueue("stream");
    implementation = new CatalogImpl();
    broker.client().server(Catalog.class, implementation).queue(queue).workers(4).export();
    catalog = broker.client(b -> b.streamWindow(WINDOW).timeout(Duration.ofSeconds(20))).proxy(Catalog.class, queue);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  @Test
  void itemsArriveInOrderAndComplete() {
    try (Stream<Item> items = catalog.items(1_000, 16)) {
      List<Item> all = items.collect(Collectors.toList());
      assertEquals(1_000, all.size());
      for (int i = 0; i < all.size(); i++) {
        assertEquals(i, all.get(i).seq());
      }
    }
    try (Stream<Item> none = catalog.items(0, 16)) {
      assertEquals(0, none.count(), "an empty stream is an end marker with count 0");
    }
  }

  @Test
  void aPublisherDeliversWhatItsSubscriberRequests() throws Exception {
    Flow.Publisher<Item> publisher = catalog.published(500);
    Collecting<Item> subscriber = new Collecting<>(7);
    publisher.subscribe(subscriber);
    assertTrue(subscriber.done.await(30, TimeUnit.SECONDS), "the stream ended");
    assertEquals(null, subscriber.failure);
    assertEquals(500, subscriber.items.size());
    for (int i = 0; i < 500; i++) {
      assertEquals(i, subscriber.items.get(i).seq());
    }
    // Cold: a second subscription is a second call.
    Collecting<Item> again = new Collecting<>(Long.MAX_VALUE);
    publisher.subscribe(again);
    assertTrue(again.done.await(30, TimeUnit.SECONDS));
    assertEquals(500, again.items.size());
  }

  @Test
  void aSlowReaderHoldsTheServerToTheWindowAndCancelStopsTheProducer() throws Exception {
    String tag = "slow-reader";
    AtomicLong produced = implementation.producers.produced(tag);
    long taken = 0;
    long mostAhead = 0;
    try (Stream<Long> items = catalog.endless(tag)) {
      Iterator<Long> iterator = items.iterator();
      while (taken < 150) {
        assertEquals(taken, iterator.next());
        taken++;
        // produced ≤ published + 1 (the item it holds while it waits for credit); published - taken ≤ the window
        mostAhead = Math.max(mostAhead, produced.get() - taken);
        assertTrue(produced.get() - taken <= WINDOW + 1, "the server produced " + produced.get() + " items when the reader"
            + " had taken " + taken + "; the window is " + WINDOW);
        Thread.sleep(10);
      }
    }
    assertTrue(implementation.producers.closed(tag).await(10, TimeUnit.SECONDS), "the cancel closed the server's stream");
    long afterCancel = produced.get() - taken;
    assertTrue(afterCancel <= WINDOW + 1, "produced after the cancel: " + afterCancel);
    System.out.printf("slow reader: 150 items taken, the server at most %d ahead, %d produced after cancel (window %d)%n",
        mostAhead, afterCancel, WINDOW);
    assertEquals("still serving", catalog.ping("still serving"), "the worker is free again");
  }

  @Test
  void cancellingASubscriptionStopsAPublisher() throws Exception {
    String tag = "publisher-cancel";
    Collecting<Long> subscriber = new Collecting<>(5);
    subscriber.cancelAfter = 5;
    catalog.endlessPublished(tag).subscribe(subscriber);
    assertTrue(implementation.producers.closed(tag).await(10, TimeUnit.SECONDS), "the server's subscription was cancelled");
    assertTrue(implementation.producers.produced(tag).get() <= 5 + WINDOW, "produced "
        + implementation.producers.produced(tag).get());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), subscriber.items);
  }

  @Test
  void theWholeStreamDeadlineEndsItTypedAfterTheItemsBefore() {
    List<Long> seen = new ArrayList<>();
    RpcException e = assertThrows(RpcException.class, () -> {
      try (Stream<Long> items = catalog.slowForever("deadline")) {
        items.forEach(seen::add);
      }
    });
    assertEquals(Code.DEADLINE_EXCEEDED, e.code(), e.getMessage());
    assertTrue(seen.size() >= 3, "items before the deadline: " + seen.size());
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(i, seen.get(i));
    }
  }

  @Test
  void theIdleTimeoutEndsAStreamThatStopsMoving() throws Exception {
    List<Long> seen = new ArrayList<>();
    long started = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> {
      try (Stream<Long> items = catalog.stalls("idle")) {
        items.forEach(seen::add);
      }
    });
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals(Code.DEADLINE_EXCEEDED, e.code(), e.getMessage());
    assertEquals(DeadlineCause.STREAM_IDLE, e.deadlineCause(), e.getMessage());
    assertEquals(List.of(0L, 1L, 2L), seen);
    assertTrue(tookMillis < 15_000, "ended by the 500 ms idle timeout, not the 20 s deadline: " + tookMillis + " ms");
    assertTrue(implementation.producers.closed("idle").await(10, TimeUnit.SECONDS), "the stuck producer was stopped");
  }

  @Test
  void aHandlerFailureMidStreamComesAfterTheItemsBeforeIt() {
    List<Long> seen = new ArrayList<>();
    RpcException e = assertThrows(RpcException.class, () -> {
      try (Stream<Long> items = catalog.failsAfter(5)) {
        items.forEach(seen::add);
      }
    });
    assertEquals(Code.APPLICATION_ERROR, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("out of stock after 5"), e.getMessage());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), seen);
  }

  @Test
  void aDeclaredExceptionMidStreamReachesTheSubscriberAsItsType() throws Exception {
    Collecting<Long> subscriber = new Collecting<>(3);
    catalog.runsOut(7).subscribe(subscriber);
    assertTrue(subscriber.done.await(30, TimeUnit.SECONDS));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), subscriber.items);
    assertTrue(subscriber.failure instanceof OutOfStock, "got " + subscriber.failure);
    assertEquals("out of stock after 7", subscriber.failure.getMessage());
  }

  @Test
  void aCutConnectionEndsTheStreamTypedAfterTheItemsBefore() throws Exception {
    com.rabbitmq.client.ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    try (TcpProxy proxy = new TcpProxy(direct.getHost(), direct.getPort())) {
      Catalog throughProxy = broker.client(b -> b.uri("amqp://guest:guest@127.0.0.1:" + proxy.port())
          .streamWindow(WINDOW)).proxy(Catalog.class, queue);
      List<Long> seen = new ArrayList<>();
      long[] cutAt = new long[1];
      RpcException e = assertThrows(RpcException.class, () -> {
        try (Stream<Long> items = throughProxy.endless("cut")) {
          Iterator<Long> iterator = items.iterator();
          while (true) {
            seen.add(iterator.next());
            if (seen.size() == 5) {
              cutAt[0] = System.nanoTime();
              proxy.cut();
            }
          }
        }
      });
      System.out.printf("cut: failed %d ms after the cut: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt[0]),
          e.getMessage());
      assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
      assertTrue(seen.size() >= 5 && seen.size() <= 5 + WINDOW, "items before the cut: " + seen.size());
      for (int i = 0; i < seen.size(); i++) {
        assertEquals(i, seen.get(i));
      }
      // The server cannot hear the cancel; it ends the stream when no credit came for the idle timeout (2 s).
      assertTrue(implementation.producers.closed("cut").await(15, TimeUnit.SECONDS), "the orphaned stream was ended");
    }
  }

  @Test
  void aServerThatLosesItsConnectionMidStreamEndsTheStreamTypedAfterTheItemsBefore() throws Exception {
    com.rabbitmq.client.ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    String cutQueue = TestBroker.uniqueQueue("stream-server-cut");
    try (TcpProxy proxy = new TcpProxy(direct.getHost(), direct.getPort())) {
      CatalogImpl cutOff = new CatalogImpl();
      broker.client(b -> b.uri("amqp://guest:guest@127.0.0.1:" + proxy.port())).server(Catalog.class, cutOff)
          .queue(cutQueue).workers(2).export();
      Catalog reader = broker.client(b -> b.streamWindow(WINDOW).timeout(Duration.ofSeconds(20))).proxy(Catalog.class, cutQueue);
      List<Long> seen = new ArrayList<>();
      long[] cutAt = new long[1];
      RpcException e = assertThrows(RpcException.class, () -> {
        try (Stream<Long> items = reader.endless("server-cut")) {
          Iterator<Long> iterator = items.iterator();
          while (true) {
            seen.add(iterator.next());
            if (seen.size() == 5) {
              cutAt[0] = System.nanoTime();
              proxy.cut(); // the server's connection, as when its host drops off the network
            }
          }
        }
      }, "a stream whose server is gone never ends as if complete");
      long afterCut = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt[0]);
      System.out.printf("server cut: the reader failed %d ms after the cut: %s: %s%n", afterCut, e.code(), e.getMessage());
      // Either the idle timeout (2 s) ends it, or the recovered server answers the redelivered request UNAVAILABLE.
      assertTrue(e.code() == Code.DEADLINE_EXCEEDED || e.code() == Code.UNAVAILABLE, e.code() + ": " + e.getMessage());
      assertTrue(afterCut < 15_000, "ended within 15 s of the cut: " + afterCut + " ms");
      assertTrue(seen.size() >= 5, "items before the cut: " + seen.size());
      for (int i = 0; i < seen.size(); i++) {
        assertEquals(i, seen.get(i), "in order, none lost before the end");
      }
    } finally {
      broker.deleteQueue(cutQueue);
    }
  }

  @Test
  void describeSaysWhichMethodsStream() throws Exception {
    ServiceContract contract = broker.client().describe(queue);
    assertTrue(contract.method("endless").streaming());
    assertEquals(2_000L, contract.method("endless").idleMillis());
    assertEquals("integer", contract.method("endless").result().get("type").asText(), "the schema of one item");
    assertEquals(false, contract.method("ping").streaming());
  }

  @Test
  void unaryCallsAreServedBesideALongStream() throws Exception {
    try (Stream<Long> items = catalog.endless("beside")) {
      Iterator<Long> iterator = items.iterator();
      assertEquals(0L, iterator.next()); // the stream holds a worker, waiting for credit
      for (int i = 0; i < 20; i++) {
        assertEquals("u" + i, catalog.ping("u" + i));
      }
      assertEquals(1L, iterator.next());
    }
  }

  @Test
  void streamsManyMegabytesInMessagesFarBelowTheBrokersLimit() {
    int itemBytes = 256 * 1024;
    int count = 256; // 64 MiB of payload in 256 messages of 256 KiB (the broker's limit: 16 MiB on 4.x)
    long started = System.nanoTime();
    long bytes;
    try (Stream<Item> items = catalog.items(count, itemBytes)) {
      bytes = items.mapToLong(item -> item.payload().length()).sum();
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals((long) count * itemBytes, bytes);
    System.out.printf("64 MiB streamed in %d ms (%.1f MiB/s)%n", millis, 64_000.0 / Math.max(1, millis));
  }

  /** A subscriber that requests {@code batch} at a time and records what it gets. */
  static final class Collecting<T> implements Flow.Subscriber<T> {
    final List<T> items = new ArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    private final long batch;
    volatile Throwable failure;
    long cancelAfter = -1;
    private Flow.Subscription subscription;
    private long outstanding;

    Collecting(long batch) {
      this.batch = batch;
    }

    @Override
    public void onSubscribe(Flow.Subscription given) {
      subscription = given;
      outstanding = batch;
      given.request(batch);
    }

    @Override
    public void onNext(T item) {
      items.add(item);
      if (items.size() == cancelAfter) {
        subscription.cancel();
        done.countDown();
        return;
      }
      if (--outstanding == 0) {
        outstanding = batch;
        subscription.request(batch);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      failure = throwable;
      done.countDown();
    }

    @Override
    public void onComplete() {
      done.countDown();
    }
  }
}
