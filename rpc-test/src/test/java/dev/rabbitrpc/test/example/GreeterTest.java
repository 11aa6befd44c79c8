package dev.rabbitrpc.test.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The README's example: a user's test of their own service, through a real broker. */
@RpcBrokerTest
class GreeterTest {
  private Greeter greeter;

  @BeforeEach
  void startGreeter(RpcClient client, RpcBroker broker) {
    String queue = broker.uniqueQueue("greeter"); // private to this test; deleted after it
    client.export(Greeter.class, new FriendlyGreeter(), queue);
    greeter = client.proxy(Greeter.class, queue);
  }

  @Test
  void greetsByName() {
    assertEquals("Hello, Ada", greeter.greet("Ada"));
  }

  @Test
  void turnsTheServersExceptionIntoAnApplicationError() {
    RpcException e = assertThrows(RpcException.class, () -> greeter.greet(" "));
    assertEquals(RpcException.Code.APPLICATION_ERROR, e.code());
    assertEquals(IllegalArgumentException.class.getName(), e.remoteType());
  }
}
