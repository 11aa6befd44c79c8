package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Greeter;
import dev.rabbitrpc.runtime.TestServices.GreeterImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client and server interceptors around real calls: order, headers, outcomes, attempts, refusals. */
@RpcBrokerTest
class InterceptorsIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("interceptors");

  InterceptorsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  /** Records what it sees as "name>" on the way in and "<name:outcome" on the way out. */
  private static ClientInterceptor recording(String name, List<String> seen) {
    return (call, chain) -> {
      seen.add(name + ">" + call.methodName() + "#" + call.attempt());
      return chain.proceed(call).whenComplete((value, failure) ->
          seen.add("<" + name + ":" + (failure == null ? value : "failed")));
    };
  }

  @Test
  void clientInterceptorsRunInTheOrderAddedAndSeeTheOutcome() {
    broker.client().export(Greeter.class, new GreeterImpl(), queue);
    List<String> seen = new CopyOnWriteArrayList<>();
    RpcClient client = broker.client(b -> b.interceptor(recording("a", seen)).interceptor(recording("b", seen)));
    assertEquals("hello ann", client.proxy(Greeter.class, queue).greet("ann"));
    assertEquals(List.of("a>greet#1", "b>greet#1", "<b:hello ann", "<a:hello ann"), seen);
  }

  @Test
  void headersAClientInterceptorAddsReachTheServersInterceptorsAndNothingElse() {
    AtomicReference<Map<String, String>> received = new AtomicReference<>();
    AtomicReference<String> receivedId = new AtomicReference<>();
    broker.client(b -> b.serverInterceptor((call, chain) -> {
      received.set(call.headers());
      receivedId.set(call.correlationId());
      return chain.proceed(call);
    })).export(Greeter.class, new GreeterImpl(), queue);
    AtomicReference<String> sentId = new AtomicReference<>();
    RpcClient client = broker.client(b -> b.interceptor((call, chain) -> {
      sentId.set(call.correlationId());
      return chain.proceed(call.withHeader("tenant", "acme").withHeader("request-source", "test"));
    }));

    assertEquals("hello bo", client.proxy(Greeter.class, queue).greet("bo"));
    assertEquals(Map.of("tenant", "acme", "request-source", "test"), received.get(),
        "the application's headers, none of the protocol's rpc-*");
    assertEquals(sentId.get(), receivedId.get(), "both sides see the attempt's correlation id");
  }

  @Test
  void aServerInterceptorRefusesACallWithoutCredentialsWithATypedErrorAndTheHandlerNeverRuns() {
    GreeterImpl implementation = new GreeterImpl();
    broker.client(b -> b.serverInterceptor((call, chain) -> {
      if (!"Bearer good".equals(call.headers().get("authorization"))) {
        throw new RpcException(Code.UNAUTHENTICATED, call.methodName() + " needs a valid authorization header");
      }
      return chain.proceed(call);
    })).export(Greeter.class, implementation, queue);

    RpcException refused = assertThrows(RpcException.class,
        () -> broker.client().proxy(Greeter.class, queue).greet("eve"));
    assertEquals(Code.UNAUTHENTICATED, refused.code());
    assertTrue(refused.getMessage().contains("needs a valid authorization header"), refused.getMessage());
    assertEquals(0, implementation.runs.get());

    RpcClient authorized = broker.client(b -> b.interceptor((call, chain) ->
        chain.proceed(call.withHeader("authorization", "Bearer good"))));
    assertEquals("hello ann", authorized.proxy(Greeter.class, queue).greet("ann"));
    assertEquals(1, implementation.runs.get());
  }

  @Test
  void anAsyncCallAndAnAsyncHandlerGoThroughBothChains() throws Exception {
    List<String> serverSeen = new CopyOnWriteArrayList<>();
    broker.client(b -> b.serverInterceptor((call, chain) -> chain.proceed(call).whenComplete((value, failure) ->
        serverSeen.add(call.methodName() + "=" + value)))).export(Greeter.class, new GreeterImpl(), queue);
    List<String> seen = new CopyOnWriteArrayList<>();
    RpcClient client = broker.client(b -> b.interceptor(recording("a", seen)));

    assertEquals("later cy", client.proxy(Greeter.class, queue).greetLater("cy").get(10, TimeUnit.SECONDS));
    assertEquals(List.of("a>greetLater#1", "<a:later cy"), seen);
    assertEquals(List.of("greetLater=later cy"), serverSeen, "the server's chain saw the future's completion");
  }

  @Test
  void eachRetryOfAnIdempotentCallIsAnAttemptThroughTheChain() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(20)).interceptor(recording("a", seen)));
    // Nothing serves the queue yet: attempts come back unroutable and are retried.
    CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> client.proxy(Greeter.class, queue).lookup("k"));
    TestBroker.await(Duration.ofSeconds(10), "a second attempt", () -> seen.contains("a>lookup#2"));
    broker.client().export(Greeter.class, new GreeterImpl(), queue);

    assertEquals("value of k", call.get(20, TimeUnit.SECONDS));
    assertEquals("<a:failed", seen.get(1), "the first attempt's outcome: UNAVAILABLE");
    assertEquals("<a:value of k", seen.get(seen.size() - 1));
    assertTrue(client.stats().retries() >= 1);
  }

  @Test
  void anExceptionAClientInterceptorThrowsIsTheCallsFailureAndNothingIsSent() throws Exception {
    GreeterImpl implementation = new GreeterImpl();
    broker.client().export(Greeter.class, implementation, queue);
    RpcClient client = broker.client(b -> b.interceptor((call, chain) -> {
      throw new IllegalStateException("no token for " + call.methodName());
    }));
    Greeter greeter = client.proxy(Greeter.class, queue);

    IllegalStateException sync = assertThrows(IllegalStateException.class, () -> greeter.greet("x"));
    assertEquals("no token for greet", sync.getMessage());
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> greeter.greetLater("x").get(10, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, async.getCause());
    assertEquals(0, implementation.runs.get());
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void aReservedHeaderNameIsRefused() {
    broker.client().export(Greeter.class, new GreeterImpl(), queue);
    RpcClient client = broker.client(b -> b.interceptor((call, chain) ->
        chain.proceed(call.withHeader("rpc-deadline", "0"))));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> client.proxy(Greeter.class, queue).greet("x"));
    assertTrue(refused.getMessage().contains("belong to the protocol"), refused.getMessage());
    assertFalse(refused.getMessage().isEmpty());
  }
}
