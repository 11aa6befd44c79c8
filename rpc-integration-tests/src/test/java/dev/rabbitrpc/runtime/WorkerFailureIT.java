package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request whose decoding throws an {@link Error} (here a real {@link StackOverflowError}) is a
 * poison message: if it escaped the worker, amqp-client would close the worker's channel and the
 * broker would hand the request to the next worker, until none is left.
 */
@RpcBrokerTest
class WorkerFailureIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("poison");

  WorkerFailureIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  /** An argument type whose deserializer recurses until the stack overflows. */
  @JsonDeserialize(using = Bottomless.Deserializer.class)
  record Bottomless(String value) {
    static final class Deserializer extends JsonDeserializer<Bottomless> {
      @Override
      public Bottomless deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        return deserialize(parser, context);
      }
    }
  }

  interface Poisonable {
    String take(Bottomless value);

    String echo(String value);
  }

  static final class PoisonableImpl implements Poisonable {
    @Override public String take(Bottomless value) {
      return "never";
    }

    @Override public String echo(String value) {
      return value;
    }
  }

  @Test
  void answersAnErrorThrownWhileDecodingWithInternalAndKeepsEveryWorker() throws Exception {
    RpcServer server = broker.client(b -> b.workers(2)).export(Poisonable.class, new PoisonableImpl(), queue);
    Poisonable client = broker.client(b -> b.timeout(Duration.ofSeconds(10))).proxy(Poisonable.class, queue);

    RpcException e = assertThrows(RpcException.class, () -> client.take(new Bottomless("x")));
    assertEquals(Code.INTERNAL, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("StackOverflowError"), e.getMessage());

    for (int i = 0; i < 4; i++) {
      assertEquals("still " + i, client.echo("still " + i));
    }
    assertEquals(1, broker.consumerCount(queue), "the server still consumes");
    assertEquals(RpcServer.State.SERVING, server.state());
  }
}
