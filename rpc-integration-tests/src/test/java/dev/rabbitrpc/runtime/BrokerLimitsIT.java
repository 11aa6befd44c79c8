package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A message over the broker's own {@code max_message_size}, made for real: RabbitMQ closes the
 * channel that published it (406). On RabbitMQ 4.x the broker's default limit (16 MiB) is used as
 * it is; on 3.x, whose default is 128 MiB, the node under test is lowered to 1 MiB for the test
 * ({@code application:set_env}, read by each channel the broker opens after it) and restored after.
 * The refused call fails {@code RESOURCE_EXHAUSTED} with the broker's reply code and text, the
 * connection stays up (calls on its other channels finish), and the client learns the limit.
 */
@RpcBrokerTest
@RequiresRabbitMq("RabbitMQ's max_message_size; rabbitmqctl reads and sets it")
class BrokerLimitsIT {
  private static final long LOWERED = 1 << 20;

  interface Sized {
    /** The request's size is the caller's choice. */
    int length(byte[] data);

    /** The reply's size is the caller's choice. Not idempotent: never run twice. */
    byte[] bytes(int n);

    /** Held by the test until released: a call in flight while another fails. */
    String held(String value);

    /** Waits for the broker's confirm only. */
    @dev.rabbitrpc.api.OneWay
    void drop(byte[] data);
  }

  static final class SizedImpl implements Sized {
    final AtomicInteger bytesRuns = new AtomicInteger();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override public int length(byte[] data) {
      return data.length;
    }

    @Override public byte[] bytes(int n) {
      bytesRuns.incrementAndGet();
      return new byte[n];
    }

    @Override public void drop(byte[] data) {
      // nothing: the test is about the publish
    }

    @Override public String held(String value) {
      entered.countDown();
      try {
        if (!release.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return value;
    }
  }

  private final TestBroker broker;
  private final SizedImpl implementation = new SizedImpl();
  private final String queue = TestBroker.uniqueQueue("limits");
  /** The node's max_message_size before the test, when the test lowered it; else -1. */
  private long restore = -1;
  /** The limit the node applies to channels opened from now on. */
  private long limit;

  BrokerLimitsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void brokerLimit() throws Exception {
    long configured = Long.parseLong(Rabbitmqctl.eval("application:get_env(rabbit, max_message_size).")
        .replaceAll("[^0-9]", ""));
    if (configured > 16 << 20) { // RabbitMQ 3.x: 128 MiB; lowered, so that the test sends MiBs, not hundreds
      Rabbitmqctl.eval("application:set_env(rabbit, max_message_size, " + LOWERED + ").");
      restore = configured;
      limit = LOWERED;
    } else {
      limit = configured; // RabbitMQ 4.x: 16 MiB by default
    }
  }

  @AfterEach
  void restoreLimit() throws Exception {
    implementation.release.countDown();
    if (restore >= 0) {
      Rabbitmqctl.eval("application:set_env(rabbit, max_message_size, " + restore + ").");
    }
    broker.deleteQueue(queue);
  }

  /** Large enough that a client or server of this test never refuses a message itself: only the broker does. */
  private int ownLimit() {
    return (int) Math.min(60 << 20, 2 * limit + (1 << 20));
  }

  @Test
  void aRequestOverTheBrokersLimitFailsResourceExhaustedAndTheConnectionKeepsServing() throws Exception {
    broker.client(b -> b.maxMessageSize(ownLimit())).export(Sized.class, implementation, queue);
    String name = "limits-" + UUID.randomUUID();
    RpcClient client = broker.client(b -> b.connectionName(name).channels(2).maxMessageSize(ownLimit())
        .timeout(Duration.ofSeconds(20)));
    Sized sized = client.proxy(Sized.class, queue);
    assertEquals(3, sized.length(new byte[3]));
    String connection = only(Rabbitmqctl.connectionsNamed(name))[0];

    // A call in flight on the client's other channel (channels are chosen by thread id) when the broker refuses.
    CompletableFuture<String> inFlight = new CompletableFuture<>();
    Thread other = otherChannelThread(() -> {
      try {
        inFlight.complete(sized.held("in flight"));
      } catch (RuntimeException e) {
        inFlight.completeExceptionally(e);
      }
    });
    other.start();
    assertTrue(implementation.entered.await(20, TimeUnit.SECONDS), "the held call reached the server");

    byte[] tooLarge = new byte[(int) limit]; // JSON's base64 makes the body a third larger than the limit
    RpcException refused = assertThrows(RpcException.class, () -> sized.length(tooLarge));
    assertEquals(Code.RESOURCE_EXHAUSTED, refused.code(), refused.getMessage());
    assertTrue(refused.getMessage().contains("406 PRECONDITION_FAILED"), refused.getMessage());
    assertTrue(refused.getMessage().contains("max size " + limit), refused.getMessage());

    implementation.release.countDown();
    assertEquals("in flight", inFlight.get(20, TimeUnit.SECONDS), "a call on the connection's other channel");
    other.join(TimeUnit.SECONDS.toMillis(20));
    assertEquals(7, sized.length(new byte[7]), "the next call on the refused call's thread gets a fresh channel");
    assertEquals(connection, only(Rabbitmqctl.connectionsNamed(name))[0], "the same connection, never lost");

    RpcException refusedAtOnce = assertThrows(RpcException.class, () -> sized.length(tooLarge));
    assertEquals(Code.RESOURCE_EXHAUSTED, refusedAtOnce.code());
    assertTrue(refusedAtOnce.getMessage().contains("more than the limit of " + limit + " (the broker's max_message_size"),
        "the learned limit refuses it before it is sent: " + refusedAtOnce.getMessage());
  }

  @Test
  void aResultOverTheBrokersLimitIsAnsweredTypedAndNeverRunTwice() throws Exception {
    RpcServer server = broker.client(b -> b.maxMessageSize(ownLimit())).export(Sized.class, implementation, queue);
    Sized sized = broker.client(b -> b.timeout(Duration.ofSeconds(20))).proxy(Sized.class, queue);
    int tooLarge = (int) limit;

    // The broker refuses the reply and closes the server's intake channel; the request comes back
    // redelivered and, not being idempotent, is answered "may have run" instead of run again.
    RpcException first = assertThrows(RpcException.class, () -> sized.bytes(tooLarge));
    assertEquals(Code.UNAVAILABLE, first.code(), first.getMessage());
    assertTrue(first.getMessage().contains("may or may not have run"), first.getMessage());
    assertEquals(1, implementation.bytesRuns.get(), "run once");

    // The server learned the broker's limit: a result that large is answered RESOURCE_EXHAUSTED.
    RpcException second = assertThrows(RpcException.class, () -> sized.bytes(tooLarge));
    assertEquals(Code.RESOURCE_EXHAUSTED, second.code(), second.getMessage());
    assertTrue(second.getMessage().contains("the broker's max_message_size"), second.getMessage());
    assertEquals(2, implementation.bytesRuns.get(), "each call run once");
    assertArrayEquals(new byte[5], sized.bytes(5), "the server keeps serving");
    assertEquals(RpcServer.State.SERVING, server.state());
  }

  /**
   * A one-way request over the broker's limit: the broker closes the confirm channel instead of
   * confirming it; the call fails {@code RESOURCE_EXHAUSTED} with the broker's words, and the next
   * one-way call gets a fresh channel (a larger one now fails before it is sent).
   */
  @Test
  void aOneWayRequestOverTheBrokersLimitFailsResourceExhausted() throws Exception {
    broker.client(b -> b.maxMessageSize(ownLimit())).export(Sized.class, implementation, queue);
    Sized sized = broker.client(b -> b.maxMessageSize(ownLimit()).timeout(Duration.ofSeconds(20)))
        .proxy(Sized.class, queue);
    sized.drop(new byte[3]);

    RpcException refused = assertThrows(RpcException.class, () -> sized.drop(new byte[(int) limit]));
    assertEquals(Code.RESOURCE_EXHAUSTED, refused.code(), refused.getMessage());
    assertTrue(refused.getMessage().contains("406 PRECONDITION_FAILED"), refused.getMessage());

    sized.drop(new byte[5]); // confirmed on a fresh channel
    RpcException refusedAtOnce = assertThrows(RpcException.class, () -> sized.drop(new byte[(int) limit]));
    assertTrue(refusedAtOnce.getMessage().contains("the broker's max_message_size"), refusedAtOnce.getMessage());
  }

  /** A thread whose calls go out on the other of the client's two channels than this thread's. */
  private static Thread otherChannelThread(Runnable body) {
    long mine = Thread.currentThread().getId() % 2;
    for (int i = 0; i < 10; i++) {
      Thread thread = new Thread(body, "other-channel-" + i);
      if (thread.getId() % 2 != mine) {
        return thread;
      }
    }
    throw new AssertionError("no thread id of the other parity in 10 tries");
  }

  private static String[] only(List<String[]> connections) {
    assertEquals(1, connections.size(), "connections of that name");
    return connections.get(0);
  }
}
