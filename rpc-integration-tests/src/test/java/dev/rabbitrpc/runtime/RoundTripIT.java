package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.runtime.TestServices.Bean;
import dev.rabbitrpc.runtime.TestServices.Color;
import dev.rabbitrpc.runtime.TestServices.Point;
import dev.rabbitrpc.runtime.TestServices.Shape;
import dev.rabbitrpc.runtime.TestServices.Types;
import dev.rabbitrpc.runtime.TestServices.TypesImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every kind of value through proxy -> broker -> server -> reply, with full generic fidelity. */
@RpcBrokerTest
class RoundTripIT {
  private final TestBroker broker;

  private final TypesImpl implementation = new TypesImpl();
  private String queue;
  private Types types;

  RoundTripIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void exportService() {
    queue = TestBroker.uniqueQueue("types");
    RpcClient client = broker.client();
    client.export(Types.class, implementation, queue);
    types = client.proxy(Types.class, queue);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  @Test
  void carriesPrimitivesBoxedStringsAndEnums() {
    assertEquals(5, types.add(2, 3));
    assertEquals(-Long.MAX_VALUE, types.negate(Long.MAX_VALUE));
    assertEquals(0.75, types.half(1.5));
    assertFalse(types.not(true));
    assertEquals('b', types.next('a'));
    assertEquals(8, types.boxed(7));
    assertNull(types.boxed(null));
    assertEquals("grüße \"quoted\" \n ✓", types.echo("grüße \"quoted\" \n ✓"));
    assertNull(types.echo(null));
    assertEquals(Color.GREEN, types.flip(Color.RED));
  }

  @Test
  void carriesArraysRecordsAndBeans() {
    assertArrayEquals(new int[] {3, 2, 1}, types.reverse(new int[] {1, 2, 3}));
    assertArrayEquals(new String[] {"A", "B"}, types.upper(new String[] {"a", "b"}));
    assertEquals(new Point(11, 2), types.move(new Point(1, 2), 10));
    Bean bean = types.bean(new Bean("x", new long[] {1, Long.MIN_VALUE}));
    assertEquals("x!", bean.getLabel());
    assertArrayEquals(new long[] {1, Long.MIN_VALUE}, bean.getValues());
  }

  @Test
  void returnsListsOfRecordsAsRecordsNotMaps() {
    List<Point> points = types.points(3);
    assertEquals(List.of(new Point(0, 0), new Point(1, 1), new Point(2, 4)), points);
    assertInstanceOf(Point.class, points.get(2));

    Map<String, Point> index = types.index(points);
    assertInstanceOf(Point.class, index.get("2,4"));
    assertEquals(new Point(1, 1), index.get("1,1"));
  }

  @Test
  void carriesNestedGenericsAndOptionals() {
    Shape shape = new Shape("tri", List.of(new Point(0, 0), new Point(1, 0)), Map.of("apex", new Point(0, 1)),
        Optional.of(Color.RED));
    assertEquals(shape, types.shape(shape));
    Shape bare = new Shape("none", List.of(), Map.of(), Optional.empty());
    assertEquals(bare, types.shape(bare));

    assertEquals(Optional.of(new Point(3, 0)), types.find(Optional.of("abc")));
    assertEquals(Optional.empty(), types.find(Optional.empty()));

    Map<String, List<Optional<Point>>> nested = Map.of("a", List.of(Optional.of(new Point(1, 2)), Optional.empty()));
    Map<String, List<Optional<Point>>> back = types.nested(nested);
    assertEquals(nested, back);
    assertInstanceOf(Point.class, back.get("a").get(0).orElseThrow());
  }

  @Test
  void carriesNullWhereTheTypeAllowsIt() {
    List<Integer> withNull = new ArrayList<>(Arrays.asList(1, null, 3));
    assertEquals(withNull, types.nullable(withNull));
    assertNull(types.nullable(null));
  }

  @Test
  void runsVoidMethodsRemotely() {
    types.nothing();
    types.nothing();
    assertEquals(2, implementation.nothingCalls.get());
  }

  @Test
  void completesAsyncMethodsWithFullGenerics() throws Exception {
    CompletableFuture<List<Point>> future = types.pointsAsync(2);
    List<Point> points = future.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(new Point(0, 0), new Point(1, 1)), points);
    assertInstanceOf(Point.class, points.get(1));

    assertNull(types.nothingAsync().get(10, TimeUnit.SECONDS));
    assertEquals(1, implementation.nothingCalls.get());
  }

  @Test
  void pipelinesManyAsyncCallsOnOneProxy() throws Exception {
    List<CompletableFuture<List<Point>>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      futures.add(types.pointsAsync(i % 5));
    }
    for (int i = 0; i < futures.size(); i++) {
      assertEquals(i % 5, futures.get(i).get(10, TimeUnit.SECONDS).size());
    }
  }

  @Test
  void servesManyThreadsThroughOneProxyWithoutMixingReplies() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 32; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            assertEquals(thread * 1000 + i, types.add(thread * 1000, i));
          }
          return null;
        }));
      }
      for (Future<?> result : results) {
        result.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void runsDefaultMethodsLocallyOverRemoteOnes() {
    assertEquals("hello from default", types.greeting());
  }

  @Test
  void answersObjectMethodsLocally() {
    RpcClient client = broker.client();
    Types other = client.proxy(Types.class, TestBroker.uniqueQueue("nobody-serves-this"));
    // No server and no connection needed: these never go over the wire.
    assertTrue(other.toString().contains("Types") && other.toString().contains("nobody-serves-this"), other.toString());
    assertEquals(other, other);
    assertNotEquals(other, types);
    assertEquals(other.hashCode(), other.hashCode());
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void sharesOneParsedDescriptorPerInterface() {
    RpcClient client = broker.client();
    Types first = client.proxy(Types.class, "a");
    Types second = client.proxy(Types.class, "b");
    ProxyHandler firstHandler = (ProxyHandler) java.lang.reflect.Proxy.getInvocationHandler(first);
    ProxyHandler secondHandler = (ProxyHandler) java.lang.reflect.Proxy.getInvocationHandler(second);
    assertEquals("a", firstHandler.service.queue);
    assertEquals("b", secondHandler.service.queue);
    for (java.lang.reflect.Method method : Types.class.getMethods()) {
      assertTrue(firstHandler.service.forMethod(method) == secondHandler.service.forMethod(method),
          "one descriptor per method: " + method);
    }
  }
}
