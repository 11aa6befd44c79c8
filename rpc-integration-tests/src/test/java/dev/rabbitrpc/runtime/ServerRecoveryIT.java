package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A server whose consumers or connection the broker takes away serves again by itself. */
@RpcBrokerTest
class ServerRecoveryIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("recovery");

  ServerRecoveryIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  @Test
  @RequiresRabbitMq("the broker cancels the consumers of a deleted queue (basic.cancel); Qpid drops them silently")
  void servesAgainAfterItsQueueIsDeleted() throws Exception {
    RpcServer server = broker.client(b -> b.workers(2)).export(Failing.class, new FailingImpl(), queue);
    Failing failing = broker.client(b -> b.timeout(Duration.ofSeconds(2))).proxy(Failing.class, queue);
    assertEquals("before", failing.fast("before"));

    try (Channel channel = broker.rawConnection().createChannel()) {
      channel.queueDelete(queue); // the broker cancels the server's consumers
    }

    assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
    TestBroker.await(Duration.ofSeconds(10), "the server to consume again", () -> broker.consumerCount(queue) == 1);
    TestBroker.await(Duration.ofSeconds(10), "the server to say it serves", () -> server.state() == RpcServer.State.SERVING);
  }

  @Test
  void servesAgainAfterLosingItsConnectionWithRecoveryOff() throws Exception {
    ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    try (TcpProxy proxy = new TcpProxy(direct.getHost(), direct.getPort())) {
      ConnectionFactory factory = RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:" + proxy.port());
      factory.setAutomaticRecoveryEnabled(false);
      RpcServer server = broker.client(b -> b.connectionFactory(factory).workers(2))
          .export(Failing.class, new FailingImpl(), queue);
      Failing failing = broker.client(b -> b.timeout(Duration.ofSeconds(2))).proxy(Failing.class, queue);
      assertEquals("before", failing.fast("before"));

      proxy.cut(); // the server's connection is gone, and amqp-client will not recover it

      assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
      TestBroker.await(Duration.ofSeconds(10), "the server to consume again", () -> broker.consumerCount(queue) == 1);
      TestBroker.await(Duration.ofSeconds(10), "the server to say it serves", () -> server.state() == RpcServer.State.SERVING);
    }
  }

  /**
   * A server whose default prefetch went deep — its first consumer replaced by one with the deeper
   * prefetch, on the same channel — loses its connection, which amqp-client recovers: only the
   * current consumer comes back, with the deep prefetch (the channel's last {@code basic.qos}), and
   * it serves.
   */
  @Test
  void aServerWhosePrefetchWentDeepRecoversWithItsCurrentConsumerOnly() throws Exception {
    ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    try (TcpProxy proxy = new TcpProxy(direct.getHost(), direct.getPort())) {
      ConnectionFactory factory = RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:" + proxy.port());
      factory.setNetworkRecoveryInterval(200);
      RpcServer server = broker.client(b -> b.connectionFactory(factory).workers(2))
          .export(Failing.class, new FailingImpl(), queue);
      Failing failing = broker.client().proxy(Failing.class, queue);
      int deep = 2 * FlowControl.DEPTH;
      // Many callers at once, so that the run of short requests comes quickly.
      java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(16);
      try {
        TestBroker.await(Duration.ofSeconds(60), "the prefetch to go deep", () -> {
          java.util.List<java.util.concurrent.Future<String>> calls = new java.util.ArrayList<>();
          for (int i = 0; i < 200; i++) {
            calls.add(callers.submit(() -> failing.fast("x")));
          }
          for (java.util.concurrent.Future<String> call : calls) {
            try {
              assertEquals("x", call.get(30, java.util.concurrent.TimeUnit.SECONDS));
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          }
          return server.prefetchNow() == deep;
        });
      } finally {
        callers.shutdownNow();
      }
      TestBroker.await(Duration.ofSeconds(10), "the replaced consumer to be gone", () -> broker.consumerCount(queue) == 1);

      proxy.cut(); // amqp-client recovers the connection, its channels and their recorded consumers

      assertEquals("after", TestBroker.callUntilAnswered(() -> failing.fast("after")));
      TestBroker.await(Duration.ofSeconds(10), "the server to consume again", () -> broker.consumerCount(queue) == 1);
      assertEquals(deep, server.prefetchNow());
      if (broker.isRabbitMq()) {
        assertEquals(Integer.toString(deep), Rabbitmqctl.run("list_consumers", "-s", "queue_name", "prefetch_count")
            .lines().filter(line -> line.startsWith(queue + "\t")).map(line -> line.split("\t")[1].trim())
            .reduce((a, b) -> a + "," + b).orElse("none"), "the recovered consumer's prefetch");
      }
      assertEquals(RpcServer.State.SERVING, server.state());
    }
  }
}
