package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines at the edges of their range, on the wire and when inherited. */
@RpcBrokerTest
class DeadlinesIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("deadlines");
  private final String innerQueue = TestBroker.uniqueQueue("deadlines-inner");

  DeadlinesIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueues() throws Exception {
    broker.deleteQueue(queue);
    broker.deleteQueue(innerQueue);
  }

  interface Patient {
    /**
     * A century: longer than the largest expiration RabbitMQ takes (4294967295 ms, about 49.7 days,
     * on current releases; 3.10 refuses somewhere below 10^12 ms), so the client must cap it.
     */
    @Timeout(value = 36_500, unit = TimeUnit.DAYS)
    String echo(String value);
  }

  interface Outer {
    String relay(String value);
  }

  @Test
  @RequiresRabbitMq("RabbitMQ closes the channel of a publish whose expiration is too large")
  void aDeadlineBeyondTheLargestExpirationStillSendsTheRequest() {
    broker.client().export(Patient.class, value -> value, queue);
    assertEquals("far", broker.client().proxy(Patient.class, queue).echo("far"));
  }

  @Test
  void aRequestWithTheLargestDeadlineIsFarAwayForTheCallsItsHandlerMakes() throws Exception {
    RpcClient client = broker.client();
    client.export(Patient.class, value -> value, innerQueue);
    Patient inner = client.proxy(Patient.class, innerQueue);
    client.export(Outer.class, value -> inner.echo(value), queue);

    RawPeer peer = new RawPeer(broker.rawConnection());
    // A peer may send any positive deadline; Long.MAX_VALUE must not overflow into the past.
    peer.send(queue, new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .correlationId("max-deadline")
        .replyTo(peer.replyQueue)
        .headers(Map.of("rpc-protocol", 1, "rpc-deadline", Long.MAX_VALUE))
        .build(), "{\"method\":\"relay\",\"args\":[\"nested\"]}");
    RawPeer.Reply reply = peer.reply();
    assertEquals("OK", reply.status(), reply.body());
    assertEquals("\"nested\"", reply.body());
  }
}
