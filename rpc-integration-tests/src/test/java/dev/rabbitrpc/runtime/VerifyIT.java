package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import org.junit.jupiter.api.Test;

/**
 * {@link RpcClient#verify(Class, String)}: a client compares its interface with the contract the
 * server on the queue describes, through the broker, by {@link ContractChanges}' rules.
 */
@RpcBrokerTest
class VerifyIT {
  /** What the server exports. */
  interface Orders {
    String place(String item, int quantity);

    int count();
  }

  /** An older client: fewer methods, a parameter named otherwise. Compatible. */
  interface OrdersBefore {
    String place(String item, int qty);
  }

  /** A client that cannot talk with the server: a parameter retyped, a method the server lacks. */
  interface OrdersMismatched {
    String place(String item, String quantity);

    long total();
  }

  private final TestBroker broker;

  VerifyIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  private String serveOrders() throws Exception {
    String queue = TestBroker.uniqueQueue("verify");
    broker.client().export(Orders.class, new Orders() {
      @Override
      public String place(String item, int quantity) {
        return quantity + " x " + item;
      }

      @Override
      public int count() {
        return 1;
      }
    }, queue);
    return queue;
  }

  @Test
  void aCompatibleInterfacePassesAndCalls() throws Exception {
    String queue = serveOrders();
    try {
      RpcClient client = broker.client();
      client.verify(Orders.class, queue);
      client.verify(OrdersBefore.class, queue);
      assertEquals("2 x tea", client.proxy(OrdersBefore.class, queue).place("tea", 2));
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void anIncompatibleInterfaceFailsWithProtocolListingEachBreakingChange() throws Exception {
    String queue = serveOrders();
    try {
      RpcException e = assertThrows(RpcException.class, () -> broker.client().verify(OrdersMismatched.class, queue));
      assertEquals(Code.PROTOCOL, e.code());
      String[] lines = e.getMessage().split("\n");
      assertTrue(lines[0].startsWith(OrdersMismatched.class.getName() + " cannot talk with the server on " + queue
          + " (" + Orders.class.getName() + ", rabbit-rpc-java "), e.getMessage());
      assertTrue(lines[0].endsWith("): 2 breaking changes"), e.getMessage());
      assertEquals(3, lines.length, e.getMessage());
      assertTrue(lines[1].startsWith("BREAKING place: parameter quantity: type string became integer"), e.getMessage());
      assertTrue(lines[2].startsWith("BREAKING total: removed or renamed"), e.getMessage());
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void withoutAServerVerifyIsUnavailable() {
    RpcException e = assertThrows(RpcException.class,
        () -> broker.client().verify(Orders.class, TestBroker.uniqueQueue("verify-nobody")));
    assertEquals(Code.UNAVAILABLE, e.code());
  }

  /** A client that verifies contracts: a proxy that cannot talk never sends, one that can calls as usual. */
  @Test
  void aVerifyingClientChecksBeforeEachProxysFirstCall() throws Exception {
    String queue = serveOrders();
    try {
      RpcClient client = broker.client(b -> b.verifyContracts(true));
      assertEquals("3 x tea", client.proxy(OrdersBefore.class, queue).place("tea", 3));
      OrdersMismatched mismatched = client.proxy(OrdersMismatched.class, queue);
      RpcException first = assertThrows(RpcException.class, () -> mismatched.place("tea", "3"));
      assertEquals(Code.PROTOCOL, first.code());
      assertTrue(first.getMessage().contains("cannot talk with the server on " + queue), first.getMessage());
      // Not asked again: the same verdict, and still nothing sent.
      RpcException again = assertThrows(RpcException.class, mismatched::total);
      assertEquals(first.getMessage(), again.getMessage());
      assertEquals(0, client.stats().pendingCalls());
    } finally {
      broker.deleteQueue(queue);
    }
  }
}
