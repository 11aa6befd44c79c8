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
    return broker.client(b -> b.uri("amqp://guest:guest@127.0.0.1:" + proxy.port()));
  }

  @Test
  void failsCallsInFlightWithUnavailableAtOnceWhenTheConnectionIsCut() throws Exception {
    FailingImpl implementation = new FailingImpl();
    broker.client().export(Failing.class, implementation, queue);
    RpcClient client = clientThroughProxy();
    Failing failing = client.proxy(Failing.class, queue);
    assertEquals("up", failing.fast("up"));

    CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> failing.slow(60_000));
    TestBroker.await(Duration.ofSeconds(5), "the call to be in flight", () -> client.pendingCalls() == 1);
    long cutAt = System.nanoTime();
    proxy.cut();
    ExecutionException e = assertThrows(ExecutionException.class, () -> inFlight.get(5, TimeUnit.SECONDS));
    long failedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
    assertEquals(Code.UNAVAILABLE, assertInstanceOf(RpcException.class, e.getCause()).code());
    assertTrue(failedAfterMillis < 2_000, "failed " + failedAfterMillis + " ms after the cut");
    assertEquals(0, client.pendingCalls());
    implementation.release.countDown(); // the server's handler ends, so closing it need not wait
  }

  @Test
  void clientRecoversAndNewCallsSucceedWithoutUserAction() throws Exception {
    broker.client().export(Failing.class, new FailingImpl(), queue);
    RpcClient client = clientThroughProxy();
    Failing failing = client.proxy(Failing.class, queue);
    assertEquals("before", failing.fast("before"));

    proxy.cut();
    assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
    assertEquals(0, client.pendingCalls());
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
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "fails fast, not at the deadline");
    proxy.refuseNew(false);
    assertEquals("back", TestBroker.callUntilAnswered(() -> failing.fast("back")));
  }
}
