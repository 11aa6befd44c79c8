package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The caller's side of a stream without a broker: what a server sends (items, the end's count) is
 * handed to {@link ClientStream} as the router would, and a stream that is not whole ends typed
 * after the items before the fault.
 */
class ClientStreamTest {
  @RpcService(queue = "items")
  interface Items {
    @Timeout(value = 10_000, idle = 200)
    Stream<Integer> all();

    Flow.Publisher<Integer> published();
  }

  private static final int WINDOW = 4;
  private final ClientTimer timer = new ClientTimer();
  private final ServiceDescriptor service = ServiceDescriptor.parse(Items.class, Codec.json(), Duration.ofSeconds(10));
  private final CompletableFuture<Object> call = new CompletableFuture<>();

  @AfterEach
  void stopTimer() {
    timer.shutdown();
  }

  private ClientStream stream(String method) {
    MethodDescriptor descriptor = service.methods().stream().filter(m -> m.wireName.equals(method)).findFirst().orElseThrow();
    ClientStream stream = new ClientStream(descriptor, WINDOW, Deadline.after(10, TimeUnit.SECONDS, Deadline.SYSTEM_TICKER),
        timer, Runnable::run);
    stream.call(call);
    return stream;
  }

  @Test
  void itemsThenAnEndWithTheirCountIsAWholeStream() {
    ClientStream stream = stream("all");
    for (int i = 0; i < 3; i++) {
      stream.onItem(i, i * 10, null, "control");
    }
    stream.announced(3);
    call.complete(null);
    assertEquals(List.of(0, 10, 20), stream.blocking().collect(Collectors.toList()));
  }

  @Test
  void anEndThatAnnouncesMoreItemsThanCameFailsAfterTheItems() {
    ClientStream stream = stream("all");
    stream.onItem(0, 1, null, "control");
    stream.announced(2);
    call.complete(null);
    Iterator<Object> items = stream.blocking().iterator();
    assertEquals(1, items.next());
    RpcException e = assertThrows(RpcException.class, items::hasNext);
    assertEquals(Code.PROTOCOL, e.code());
    assertTrue(e.getMessage().contains("ended after 1 items but its server announced 2 items"), e.getMessage());
  }

  @Test
  void anItemOutOfSequenceFailsTheStreamAndGivesTheCallUp() {
    ClientStream stream = stream("all");
    stream.onItem(0, 1, null, "control");
    stream.onItem(0, 1, null, "control"); // a second run from the start, on another server
    Iterator<Object> items = stream.blocking().iterator();
    assertEquals(1, items.next());
    RpcException e = assertThrows(RpcException.class, items::hasNext);
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("streams do not resume"), e.getMessage());
    assertTrue(call.isCancelled(), "the call was given up");
  }

  @Test
  void anItemBeyondTheWindowIsAProtocolError() {
    ClientStream stream = stream("all");
    for (int i = 0; i <= WINDOW; i++) {
      stream.onItem(i, i, null, "control");
    }
    Iterator<Object> items = stream.blocking().iterator();
    for (int i = 0; i < WINDOW; i++) {
      assertEquals(i, items.next());
    }
    RpcException e = assertThrows(RpcException.class, items::hasNext);
    assertEquals(Code.PROTOCOL, e.code());
    assertTrue(e.getMessage().contains("beyond the window of 4"), e.getMessage());
  }

  @Test
  void aFailedCallEndsTheStreamWithItsErrorAfterTheItems() {
    ClientStream stream = stream("all");
    stream.onItem(0, 7, null, "control");
    call.completeExceptionally(new RpcException(Code.UNAVAILABLE, "connection lost"));
    Iterator<Object> items = stream.blocking().iterator();
    assertEquals(7, items.next());
    assertEquals("connection lost", assertThrows(RpcException.class, items::hasNext).getMessage());
  }

  @Test
  void closingTheStreamCancelsTheCall() {
    ClientStream stream = stream("all");
    stream.onItem(0, 7, null, "control");
    stream.blocking().close();
    assertTrue(call.isCancelled());
  }

  @Test
  void theIdleTimeoutEndsAStreamWhoseServerSendsNothing() {
    ClientStream stream = stream("all");
    stream.onItem(0, 7, null, "control");
    Iterator<Object> items = stream.blocking().iterator();
    assertEquals(7, items.next());
    long started = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, items::hasNext); // nothing more comes
    assertEquals(RpcException.DeadlineCause.STREAM_IDLE, e.deadlineCause(), e.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 5_000, "well before the 10 s deadline");
  }

  @Test
  void aSubscriberGetsWhatItRequestedThenTheEnd() throws Exception {
    ClientStream stream = stream("published");
    List<Object> got = new ArrayList<>();
    CountDownLatch completed = new CountDownLatch(1);
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    stream.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription given) {
        subscription[0] = given;
        given.request(1);
      }

      @Override
      public void onNext(Object item) {
        got.add(item);
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {
        completed.countDown();
      }
    });
    stream.onItem(0, "a", null, "control");
    stream.onItem(1, "b", null, "control");
    stream.announced(2);
    call.complete(null);
    assertEquals(List.of("a"), got, "one requested, one delivered");
    subscription[0].request(5);
    assertTrue(completed.await(5, TimeUnit.SECONDS));
    assertEquals(List.of("a", "b"), got);
  }
}
