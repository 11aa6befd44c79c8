package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Sharded services: the descriptor's shard queues and validation, key -> shard by the vectors, round-robin. */
class ShardingTest {
  private static final Path VECTORS = Path.of("..", "docs", "protocol-vectors", "shard-keys", "shard-keys.json");

  private static ServiceDescriptor parse(Class<?> type) {
    return ServiceDescriptor.parse(type, Codec.json(), Duration.ofSeconds(30));
  }

  private static String error(Class<?> type) {
    return assertThrows(IllegalArgumentException.class, () -> parse(type)).getMessage();
  }

  enum Color { RED, EXPRESS_DELIVERY }

  @RpcService(queue = "orders", shards = 4)
  interface Orders {
    String place(@ShardKey String customer, int amount);

    String byNumber(@ShardKey long number);

    String byId(@ShardKey UUID id);

    String byColor(@ShardKey Color color);

    String anywhere(String what);
  }

  @RpcService(queue = "single")
  interface Single {
    String place(@ShardKey String customer);
  }

  @RpcService(queue = "zero", shards = 0)
  interface ZeroShards {
    void run();
  }

  @RpcService(queue = "many", shards = 65)
  interface TooManyShards {
    void run();
  }

  @RpcService(queue = "twice", shards = 2)
  interface TwoKeys {
    void run(@ShardKey String a, @ShardKey String b);
  }

  @RpcService(queue = "odd", shards = 2)
  interface DoubleKey {
    void run(@ShardKey double amount);
  }

  @RpcService(queue = "records", shards = 2)
  interface RecordKey {
    record Customer(String id) {}

    void run(@ShardKey Customer customer);
  }

  @Test
  void aShardedServiceHasOneQueuePerShardNamedAfterItsQueue() {
    ServiceDescriptor orders = parse(Orders.class);
    assertEquals(4, orders.shards);
    assertEquals(List.of("orders.0", "orders.1", "orders.2", "orders.3"), orders.shardQueues());
    assertEquals("orders", orders.serviceQueue);
    assertEquals("orders.2", orders.shard(2).queue);
    assertEquals(2, orders.shard(2).shard);
    assertSame(orders.forWireName("place"), orders.shard(3).forWireName("place"));
  }

  @Test
  void aServiceOfOneShardKeepsItsQueueName() {
    ServiceDescriptor single = parse(Single.class);
    assertEquals(1, single.shards);
    assertEquals(List.of("single"), single.shardQueues());
    assertSame(single, single.shard(0));
    assertSame(single, single.route(single.forWireName("place"), new Object[] {"anyone"}));
  }

  @Test
  void anotherQueueKeepsTheShardCount() {
    ServiceDescriptor renamed = parse(Orders.class).withQueue("tenant-a.orders");
    assertEquals(List.of("tenant-a.orders.0", "tenant-a.orders.1", "tenant-a.orders.2", "tenant-a.orders.3"),
        renamed.shardQueues());
  }

  @Test
  void rejectsShardCountsOutsideOneToSixtyFour() {
    assertTrue(error(ZeroShards.class).contains("@RpcService(shards) must be 1 to 64, not 0"));
    assertTrue(error(TooManyShards.class).contains("@RpcService(shards) must be 1 to 64, not 65"));
  }

  @Test
  void rejectsShardQueueNamesLongerThanTheBrokerAllows() {
    String message = assertThrows(IllegalArgumentException.class,
        () -> parse(Orders.class).withQueue("q".repeat(254))).getMessage();
    assertTrue(message.contains("must have at most 255 characters"), message);
  }

  @Test
  void rejectsTwoShardKeysNamingTheMethod() {
    String message = error(TwoKeys.class);
    assertTrue(message.contains("@ShardKey on parameters #1 and #2"), message);
    assertTrue(message.endsWith("for method TwoKeys.run"), message);
  }

  @Test
  void rejectsShardKeysOfTypesWithoutOneTextInEveryLanguage() {
    String message = error(DoubleKey.class);
    assertTrue(message.contains("@ShardKey parameter #1 (amount) is a double"), message);
    assertTrue(message.endsWith("for method DoubleKey.run"), message);
    assertTrue(error(RecordKey.class).contains("is a dev.rabbitrpc.runtime.ShardingTest$RecordKey$Customer"));
  }

  @Test
  void keysGoToTheShardsOfTheProtocolVectors() throws IOException {
    JsonNode vectors = new ObjectMapper().readTree(VECTORS.toFile());
    int checked = 0;
    for (JsonNode c : vectors.get("cases")) {
      Object key = keyOf(c);
      assertEquals(c.get("canonical").asText(), Sharding.canonical(key), c.toString());
      for (Map.Entry<String, JsonNode> e : c.get("shards").properties()) {
        assertEquals(e.getValue().asInt(), Sharding.shardOf(key, Integer.parseInt(e.getKey())),
            c + " with " + e.getKey() + " shards");
        checked++;
      }
    }
    assertTrue(checked >= 100, "only " + checked + " checks");
    for (JsonNode names : vectors.get("queue_names")) {
      for (int i = 0; i < names.get("shards").asInt(); i++) {
        assertEquals(names.get("queues").get(i).asText(), Sharding.queueName(names.get("queue").asText(), i));
      }
    }
  }

  /** The vector's key as the Java type it names. */
  private static Object keyOf(JsonNode c) {
    JsonNode key = c.get("key");
    switch (c.get("type").asText()) {
      case "String":
        return key.asText();
      case "byte":
        return (byte) key.asInt();
      case "short":
        return (short) key.asInt();
      case "int":
        return key.asInt();
      case "long":
        return key.asLong();
      case "UUID":
        return UUID.fromString(key.asText());
      case "enum":
        return Color.valueOf(key.asText());
      default:
        throw new AssertionError("unknown key type in " + c);
    }
  }

  @Test
  void equalKeysOfAnyIntegralTypeGoToTheSameShard() {
    ServiceDescriptor orders = parse(Orders.class);
    MethodDescriptor byNumber = orders.forWireName("byNumber");
    assertEquals(Sharding.shardOf(42, 4), orders.route(byNumber, new Object[] {42L}).shard);
    assertEquals(Sharding.shardOf((byte) 42, 4), Sharding.shardOf(42L, 4));
    assertSame(orders.route(orders.forWireName("place"), new Object[] {"customer-42", 1}),
        orders.route(orders.forWireName("place"), new Object[] {"customer-42", 99}));
  }

  @Test
  void keyedCallsSpreadOverEveryShard() {
    ServiceDescriptor orders = parse(Orders.class);
    MethodDescriptor place = orders.forWireName("place");
    int[] perShard = new int[4];
    for (int i = 0; i < 4000; i++) {
      perShard[orders.route(place, new Object[] {"customer-" + i, 1}).shard]++;
    }
    for (int count : perShard) {
      assertTrue(count > 800 && count < 1200, java.util.Arrays.toString(perShard));
    }
  }

  @Test
  void callsWithoutAKeyGoRoundRobinEvenlyOverTheShards() {
    ServiceDescriptor orders = parse(Orders.class);
    MethodDescriptor anywhere = orders.forWireName("anywhere");
    int[] perShard = new int[4];
    int first = orders.route(anywhere, new Object[] {"x"}).shard;
    perShard[first]++;
    for (int i = 1; i < 400; i++) {
      int shard = orders.route(anywhere, new Object[] {"x"}).shard;
      assertEquals((first + i) % 4, shard);
      perShard[shard]++;
    }
    assertEquals(List.of(100, 100, 100, 100), java.util.Arrays.stream(perShard).boxed().toList());
  }

  @Test
  void aNullKeyFailsTheCallWithInvalidArgument() {
    ServiceDescriptor orders = parse(Orders.class);
    RpcException e = assertThrows(RpcException.class,
        () -> orders.route(orders.forWireName("place"), new Object[] {null, 1}));
    assertEquals(RpcException.Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("Orders.place: the @ShardKey argument (parameter #1) is null"), e.getMessage());
  }

  @Test
  void thePrefetchIsSplitOverTheShardsAndAddsUpToTheTotal() {
    assertEquals(List.of(3, 3, 2, 2), shares(10, 4));
    assertEquals(List.of(4, 4, 4, 4), shares(16, 4));
    assertEquals(List.of(1, 1, 1), shares(2, 3)); // at least one each: RabbitMQ's 0 means unlimited
    assertEquals(List.of(16), shares(16, 1));
  }

  private static List<Integer> shares(int total, int shards) {
    return java.util.stream.IntStream.range(0, shards).map(i -> ServerIntakes.prefetchShare(total, shards, i)).boxed()
        .toList();
  }
}
