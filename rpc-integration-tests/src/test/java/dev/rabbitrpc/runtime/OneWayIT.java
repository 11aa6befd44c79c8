package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code @OneWay}: sent, run, never answered; the broker's confirm is what the caller waits for. */
@RpcBrokerTest
class OneWayIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("oneway");

  OneWayIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  interface Audit {
    @OneWay
    void record(String event);

    @OneWay
    CompletableFuture<Void> recordLater(String event);

    String echo(String value);
  }

  static final class AuditImpl implements Audit {
    final BlockingQueue<String> recorded = new LinkedBlockingQueue<>();
    final java.util.concurrent.atomic.AtomicInteger echoes = new java.util.concurrent.atomic.AtomicInteger();

    @Override public void record(String event) {
      if (event.startsWith("bad")) {
        throw new IllegalStateException("cannot record " + event);
      }
      recorded.add(event);
    }

    @Override public CompletableFuture<Void> recordLater(String event) {
      recorded.add(event);
      return CompletableFuture.completedFuture(null);
    }

    @Override public String echo(String value) {
      echoes.incrementAndGet();
      return value;
    }
  }

  private String next(AuditImpl audit) throws InterruptedException {
    String event = audit.recorded.poll(10, TimeUnit.SECONDS);
    assertTrue(event != null, "nothing was run within 10 s");
    return event;
  }

  @Test
  void aOneWayCallReturnsOnceTheBrokerTookItAndTheServerRunsIt() throws Exception {
    AuditImpl audit = new AuditImpl();
    broker.client().export(Audit.class, audit, queue);
    RpcClient client = broker.client();
    client.proxy(Audit.class, queue).record("login");
    assertEquals(0, client.stats().pendingCalls(), "nothing waits for a reply");
    assertEquals("login", next(audit));
    TestBroker.await(Duration.ofSeconds(10), "the request to be acked", () -> broker.messageCount(queue) == 0);
  }

  @Test
  void anAsyncOneWayCallCompletesWhenTheBrokerConfirms() throws Exception {
    AuditImpl audit = new AuditImpl();
    broker.client().export(Audit.class, audit, queue);
    assertNull(broker.client().proxy(Audit.class, queue).recordLater("logout").get(10, TimeUnit.SECONDS));
    assertEquals("logout", next(audit));
  }

  @Test
  void aOneWayCallThatNoQueueTakesFailsWithUnavailable() throws Exception {
    Audit nowhere = broker.client().proxy(Audit.class, TestBroker.uniqueQueue("no-such-queue"));
    RpcException sync = assertThrows(RpcException.class, () -> nowhere.record("lost"));
    assertEquals(Code.UNAVAILABLE, sync.code());
    // RabbitMQ returns the request, then confirms it; Qpid nacks it.
    assertTrue(sync.getMessage().contains(broker.isRabbitMq() ? "no queue took the request" : "basic.nack"),
        sync.getMessage());
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> nowhere.recordLater("lost").get(10, TimeUnit.SECONDS));
    assertEquals(Code.UNAVAILABLE, assertInstanceOf(RpcException.class, async.getCause()).code());
  }

  @Test
  void withoutConfirmsAOneWayCallReturnsAtOnceAndAReturnedOneIsCounted() throws Exception {
    RpcClient client = broker.client(b -> b.oneWayConfirms(false));
    AuditImpl audit = new AuditImpl();
    broker.client().export(Audit.class, audit, queue);
    client.proxy(Audit.class, queue).record("fire");
    assertEquals("fire", next(audit));

    client.proxy(Audit.class, TestBroker.uniqueQueue("no-such-queue")).record("forget"); // returns: no error
    TestBroker.await(Duration.ofSeconds(10), "the returned request to be counted",
        () -> client.stats().returnedOneWayRequests() == 1);
  }

  @Test
  void aOneWayHandlerThatThrowsIsCountedAndTheServerKeepsServing() throws Exception {
    AuditImpl audit = new AuditImpl();
    RpcServer server = broker.client().export(Audit.class, audit, queue);
    Audit proxy = broker.client().proxy(Audit.class, queue);
    proxy.record("bad event"); // the caller never hears of the failure
    TestBroker.await(Duration.ofSeconds(10), "the failure to be counted", () -> server.stats().failedOneWayRequests() == 1);
    assertEquals("still here", proxy.echo("still here"));
    proxy.record("good event");
    assertEquals("good event", next(audit));
  }

  @Test
  void aRequestWithoutReplyToForAMethodThatIsNotOneWayIsStillRejected() throws Exception {
    AuditImpl audit = new AuditImpl();
    // One worker: the two requests are handled in the order sent.
    RpcServer server = broker.client(b -> b.workers(1)).export(Audit.class, audit, queue);
    RawPeer peer = new RawPeer(broker.rawConnection());
    peer.send(queue, new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("application/json")
        .correlationId("no-reply-to").build(), "{\"method\":\"echo\",\"args\":[\"x\"]}");
    peer.send(queue, new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("application/json")
        .correlationId("one-way").build(), "{\"method\":\"record\",\"args\":[\"raw\"]}");
    // Once the one-way request ran, the echo before it had its turn: rejected, not run.
    assertEquals("raw", next(audit));
    assertEquals(0, audit.echoes.get());
    assertEquals(0, server.stats().failedOneWayRequests());
  }
}
