package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import dev.rabbitrpc.runtime.TestServices.Greeter;
import dev.rabbitrpc.runtime.TestServices.GreeterImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A client asks a server, through the broker, for its service's contract (rpc.describe). */
@RpcBrokerTest
class DescribeIT {
  @RpcService(queue = "describe-shards", shards = 3)
  interface Ledger {
    long balance(@ShardKey String account);
  }

  private final TestBroker broker;

  DescribeIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @Test
  void describesAnExportedServiceWithoutItsInterceptorsSeeingIt() throws Exception {
    String queue = TestBroker.uniqueQueue("describe");
    RpcClient client = broker.client();
    AtomicInteger intercepted = new AtomicInteger();
    GreeterImpl implementation = new GreeterImpl();
    client.server(Greeter.class, implementation).queue(queue).serverInterceptor((call, chain) -> {
      intercepted.incrementAndGet();
      return chain.proceed(call);
    }).export();
    try {
      ServiceContract contract = broker.client().describe(queue);
      assertEquals(1, contract.protocol());
      assertEquals(Greeter.class.getName(), contract.service());
      assertEquals(queue, contract.queue());
      assertEquals(1, contract.shards());
      assertEquals(List.of(queue), contract.queues());
      assertEquals(List.of("greet", "greetLater", "lookup"),
          contract.methods().stream().map(ServiceContract.Method::wireName).toList());
      ServiceContract.Method greet = contract.method("greet");
      assertEquals("name", greet.parameters().get(0).name());
      assertEquals("string", greet.parameters().get(0).schema().get("type").asText());
      assertEquals("string", greet.result().get("type").asText());
      assertFalse(greet.idempotent());
      assertTrue(contract.method("lookup").idempotent());
      assertEquals(0, intercepted.get(), "server interceptors do not see rpc.describe");
      assertEquals(0, implementation.runs.get(), "no user code ran");
      assertEquals("hello x", client.proxy(Greeter.class, queue).greet("x"));
      assertEquals(1, intercepted.get());
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void anyShardQueueDescribesTheWholeShardedService() throws Exception {
    String queue = TestBroker.uniqueQueue("describe-sharded");
    broker.client().server(Ledger.class, account -> 7L).queue(queue).export();
    try {
      ServiceContract contract = broker.client().describe(queue + ".2");
      assertEquals(Ledger.class.getName(), contract.service());
      assertEquals(queue, contract.queue());
      assertEquals(3, contract.shards());
      assertEquals(List.of(queue + ".0", queue + ".1", queue + ".2"), contract.queues());
      assertEquals("account", contract.method("balance").shardKey());
      assertEquals("integer", contract.method("balance").result().get("type").asText());
    } finally {
      for (int i = 0; i < 3; i++) {
        broker.deleteQueue(queue + "." + i);
      }
    }
  }

  @Test
  void aServerThatDoesNotDescribeItselfAnswersUnknownMethod() throws Exception {
    String queue = TestBroker.uniqueQueue("describe-off");
    broker.client().server(Greeter.class, new GreeterImpl()).queue(queue).describable(false).export();
    try {
      RpcException e = assertThrows(RpcException.class, () -> broker.client().describe(queue));
      assertEquals(Code.UNKNOWN_METHOD, e.code());
      assertTrue(e.getMessage().contains("rpc.describe"), e.getMessage());
    } finally {
      broker.deleteQueue(queue);
    }
    // The client-wide default, and a server that sets its own over it.
    String silent = TestBroker.uniqueQueue("describe-off-client");
    String told = TestBroker.uniqueQueue("describe-on-server");
    RpcClient exporter = broker.client(builder -> builder.describable(false));
    exporter.server(Greeter.class, new GreeterImpl()).queue(silent).export();
    exporter.server(Greeter.class, new GreeterImpl()).queue(told).describable(true).export();
    try {
      assertEquals(Code.UNKNOWN_METHOD, assertThrows(RpcException.class, () -> broker.client().describe(silent)).code());
      assertEquals(Greeter.class.getName(), broker.client().describe(told).service());
    } finally {
      broker.deleteQueue(silent);
      broker.deleteQueue(told);
    }
  }

  @Test
  void aQueueWithoutAServerFailsUnavailableAtOnce() {
    String queue = TestBroker.uniqueQueue("describe-nobody");
    RpcClient client = broker.client();
    TestBroker.connect(client);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> client.describe(queue));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
    // Returned by the broker (no such queue), not retried until the deadline: describe is not @Idempotent.
    assertTrue(millis < 5_000, "failed after " + millis + " ms: " + e.getMessage());
  }
}
