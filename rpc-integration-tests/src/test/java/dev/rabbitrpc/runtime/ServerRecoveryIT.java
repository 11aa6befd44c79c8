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
}
