package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A connection cut for real (an in-JVM TCP proxy resets it): fail fast, then recover. */
@RpcBrokerTest
class ConnectionLossIT {
  /** The call timeout where a test tells "at once" from "at the deadline". */
  private static final long CALL_TIMEOUT_SECONDS = 20;

  private final TestBroker broker;

  private TcpProxy proxy;
  private String queue;

  ConnectionLossIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void startProxy() throws Exception {
    ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    proxy = new TcpProxy(direct.getHost(), direct.getPort());
    queue = TestBroker.uniqueQueue("loss");
  }

  @AfterEach
  void stopProxy() throws Exception {
    proxy.close();
    broker.deleteQueue(queue);
  }

  private RpcClient clientThroughProxy() {
    return broker.client(b -> b.uri(proxyUri()));
  }

  private String proxyUri() {
    return "amqp://guest:guest@127.0.0.1:" + proxy.port();
  }

  @Test
  void failsCallsInFlightWithUnavailableAtOnceWhenTheConnectionIsCut() throws Exception {
    FailingImpl implementation = new FailingImpl();
    broker.client().export(Failing.class, implementation, queue);
    RpcClient client = broker.client(b -> b.uri(proxyUri()).timeout(Duration.ofSeconds(CALL_TIMEOUT_SECONDS)));
    Failing failing = client.proxy(Failing.class, queue);
    try {
      CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> failing.held("held"));
      // In flight for certain: the server runs it, so the request has left the client.
      assertTrue(implementation.running.await(10, TimeUnit.SECONDS), "the server runs the call");
      long cutAt = System.nanoTime();
      proxy.cut();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> inFlight.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      long failedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
      assertEquals(Code.UNAVAILABLE, assertInstanceOf(RpcException.class, e.getCause()).code());
      // "At once": when the socket is reset, not at the call's deadline. Half the timeout tells the
      // two apart and leaves a loaded machine seconds to schedule the client's reader thread.
      assertTrue(failedAfterMillis < CALL_TIMEOUT_SECONDS * 1_000 / 2, "failed " + failedAfterMillis + " ms after the cut");
      assertEquals(0, client.stats().pendingCalls());
    } finally {
      implementation.release.countDown(); // the server's handler ends, so closing it need not wait
    }
  }

  @Test
  void clientRecoversAndNewCallsSucceedWithoutUserAction() throws Exception {
    broker.client().export(Failing.class, new FailingImpl(), queue);
    RpcClient client = clientThroughProxy();
    Failing failing = client.proxy(Failing.class, queue);
    assertEquals("before", failing.fast("before"));

    proxy.cut();
    assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void serverRecoversItsConsumerAfterTheConnectionIsCut() throws Exception {
    clientThroughProxy().export(Failing.class, new FailingImpl(), queue);
    Failing failing = broker.client().proxy(Failing.class, queue);
    assertEquals("before", failing.fast("before"));

    proxy.cut();
    assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
  }

  @Test
  void failsFastWithUnavailableWhileTheBrokerCannotBeReached() throws Exception {
    broker.client().export(Failing.class, new FailingImpl(), queue);
    RpcClient client = clientThroughProxy();
    Failing failing = client.proxy(Failing.class, queue);
    assertEquals("up", failing.fast("up"));

    proxy.refuseNew(true);
    proxy.cut();
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> failing.fast("down"));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    // Fast, not at the deadline (the test client's 10 s): half of it tells the two apart on a loaded machine.
    long deadlineMillis = client.timeout().toMillis();
    assertTrue(elapsedMillis < deadlineMillis / 2, "failed after " + elapsedMillis + " ms, deadline " + deadlineMillis + " ms");
    proxy.refuseNew(false);
    assertEquals("back", TestBroker.callUntilAnswered(() -> failing.fast("back")));
  }
}
