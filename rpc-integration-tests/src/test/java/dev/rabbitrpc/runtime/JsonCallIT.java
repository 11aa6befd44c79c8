package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import dev.rabbitrpc.runtime.TestServices.TypesImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link RpcClient#callJson}: a method called by queue and wire name with JSON arguments, through
 * the broker to a server of a Java interface, and its typed failures.
 */
@RpcBrokerTest
class JsonCallIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final TestBroker broker;

  JsonCallIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void callsMethodsByWireNameWithJsonArgumentsAndReturnsTheirJsonResults() throws Exception {
    String queue = TestBroker.uniqueQueue("json-call");
    RpcClient client = broker.client();
    client.export(Types.class, new TypesImpl(), queue);
    try {
      assertEquals(json("5"), client.callJson(queue, "add", json("[2,3]"), TIMEOUT));
      assertEquals(json("{\"x\":4,\"y\":2}"), client.callJson(queue, "move", json("[{\"x\":1,\"y\":2},3]"), TIMEOUT));
      assertEquals(json("[{\"x\":0,\"y\":0},{\"x\":1,\"y\":1}]"), client.callJson(queue, "points", json("[2]"), TIMEOUT));
      assertEquals(NullNode.getInstance(), client.callJson(queue, "nothing", json("[]"), TIMEOUT));
      // The same call through the interface gives the same value: one pipeline, one codec.
      assertEquals(JSON.valueToTree(client.proxy(Types.class, queue).points(2)),
          client.callJson(queue, "points", json("[2]"), TIMEOUT));
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void failsWithTheCodeOfEachFailure() throws Exception {
    String queue = TestBroker.uniqueQueue("json-call-errors");
    RpcClient client = broker.client();
    client.export(Types.class, new TypesImpl(), queue);
    try {
      RpcException unknown = assertThrows(RpcException.class, () -> client.callJson(queue, "nope", json("[]"), TIMEOUT));
      assertEquals(Code.UNKNOWN_METHOD, unknown.code());
      RpcException count = assertThrows(RpcException.class, () -> client.callJson(queue, "add", json("[1]"), TIMEOUT));
      assertEquals(Code.INVALID_ARGUMENT, count.code());
      RpcException type = assertThrows(RpcException.class, () -> client.callJson(queue, "add", json("[1,\"2\"]"), TIMEOUT));
      assertEquals(Code.INVALID_ARGUMENT, type.code());
      assertTrue(type.getMessage().contains("argument #2"), type.getMessage());
    } finally {
      broker.deleteQueue(queue);
    }
    RpcException noServer = assertThrows(RpcException.class,
        () -> client.callJson(TestBroker.uniqueQueue("json-call-nobody"), "add", json("[1,2]"), TIMEOUT));
    assertEquals(Code.UNAVAILABLE, noServer.code());
  }
}
