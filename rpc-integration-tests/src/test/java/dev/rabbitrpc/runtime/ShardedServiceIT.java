package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sharded services through the broker: each shard a queue of its own, calls spread round-robin or
 * by key, servers on subsets, and a shard's faults staying on that shard. The servers record the
 * queue each request came from (a ServerInterceptor reading {@link RpcCall#queue()}).
 */
@RpcBrokerTest
class ShardedServiceIT {
  static final int SHARDS = 4;

  @RpcService(queue = "sharded-accounts", shards = SHARDS)
  interface Accounts {
    String echo(String what);

    String credit(@ShardKey String account, int amount);
  }

  static final class AccountsImpl implements Accounts {
    @Override
    public String echo(String what) {
      return "echo:" + what;
    }

    @Override
    public String credit(String account, int amount) {
      return account + "+" + amount;
    }
  }

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("sharded");
  /** Per server (by name), the queue of every request it ran: what a ServerInterceptor read from queue(). */
  private final Map<String, ConcurrentLinkedQueue<String>> servedFrom = new ConcurrentHashMap<>();

  ShardedServiceIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueues() throws Exception {
    for (int i = 0; i < SHARDS; i++) {
      broker.deleteQueue(queue + "." + i);
    }
  }

  private String shardQueue(int shard) {
    return queue + "." + shard;
  }

  /** A client whose exported services record, under {@code name}, the queue each request came from. */
  private RpcClient recordingServerClient(String name) {
    ConcurrentLinkedQueue<String> log = servedFrom.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>());
    return broker.client(b -> b.workers(4).serverInterceptor((call, chain) -> {
      log.add(call.queue());
      return chain.proceed(call);
    }));
  }

  private static Map<String, Integer> counts(Iterable<String> queues) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String q : queues) {
      counts.merge(q, 1, Integer::sum);
    }
    return counts;
  }

  /** A key whose calls go to {@code shard} (docs/PROTOCOL.md, "Sharded services"). */
  private static String keyOn(int shard, int n) {
    for (int i = 0; ; i++) {
      String key = "account-" + n + "-" + i;
      if (Sharding.shardOf(key, SHARDS) == shard) {
        return key;
      }
    }
  }

  @Test
  void everyShardIsServedAndAnswersRight() throws Exception {
    RpcServer server = recordingServerClient("all").export(Accounts.class, new AccountsImpl(), queue);
    assertEquals(List.of(shardQueue(0), shardQueue(1), shardQueue(2), shardQueue(3)), server.queues());
    assertEquals(queue, server.queue());
    for (int i = 0; i < SHARDS; i++) {
      assertEquals(1, broker.consumerCount(shardQueue(i)), shardQueue(i));
    }
    Accounts accounts = broker.client().proxy(Accounts.class, queue);
    for (int shard = 0; shard < SHARDS; shard++) {
      String key = keyOn(shard, 0);
      assertEquals(key + "+" + shard, accounts.credit(key, shard));
      assertEquals("echo:" + shard, accounts.echo(Integer.toString(shard)));
    }
    assertEquals(Set.of(shardQueue(0), shardQueue(1), shardQueue(2), shardQueue(3)),
        counts(servedFrom.get("all")).keySet());
  }

  @Test
  void callsWithoutAKeyGoRoundRobinEvenlyOverTheShards() throws Exception {
    recordingServerClient("all").export(Accounts.class, new AccountsImpl(), queue);
    ConcurrentLinkedQueue<String> sentTo = new ConcurrentLinkedQueue<>();
    Accounts accounts = broker.client(b -> b.interceptor((call, chain) -> {
      sentTo.add(call.queue()); // the client's view: the queue this attempt goes to
      return chain.proceed(call);
    })).proxy(Accounts.class, queue);
    for (int i = 0; i < 200; i++) {
      assertEquals("echo:" + i, accounts.echo(Integer.toString(i)));
    }
    Map<String, Integer> even = Map.of(shardQueue(0), 50, shardQueue(1), 50, shardQueue(2), 50, shardQueue(3), 50);
    assertEquals(even, counts(sentTo));
    assertEquals(even, counts(servedFrom.get("all")));
  }

  @Test
  void callsWithEqualKeysGoToTheSameShardFromEveryClient() throws Exception {
    recordingServerClient("all").export(Accounts.class, new AccountsImpl(), queue);
    Accounts one = broker.client().proxy(Accounts.class, queue);
    Accounts other = broker.client().proxy(Accounts.class, queue);
    for (int n = 0; n < 40; n++) {
      String account = "customer-" + n;
      servedFrom.get("all").clear();
      for (int i = 0; i < 3; i++) {
        assertEquals(account + "+" + i, (i % 2 == 0 ? one : other).credit(account, i));
      }
      // The shard the protocol says: CRC-32 of the key's UTF-8 bytes, modulo the shard count.
      assertEquals(Map.of(shardQueue(Sharding.shardOf(account, SHARDS)), 3), counts(servedFrom.get("all")), account);
    }
  }

  @Test
  void serversOnSubsetsOfTheShardsTogetherServeTheWholeService() throws Exception {
    RpcServer low = recordingServerClient("low").server(Accounts.class, new AccountsImpl()).queue(queue).shards(1, 0)
        .export();
    RpcServer high = recordingServerClient("high").server(Accounts.class, new AccountsImpl()).queue(queue).shards(3, 2)
        .export();
    assertEquals(List.of(shardQueue(0), shardQueue(1)), low.queues());
    assertEquals(List.of(shardQueue(2), shardQueue(3)), high.queues());
    Accounts accounts = broker.client().proxy(Accounts.class, queue);
    for (int i = 0; i < 40; i++) {
      assertEquals("echo:" + i, accounts.echo(Integer.toString(i)));
    }
    assertEquals(Map.of(shardQueue(0), 10, shardQueue(1), 10), counts(servedFrom.get("low")));
    assertEquals(Map.of(shardQueue(2), 10, shardQueue(3), 10), counts(servedFrom.get("high")));
  }

  @Test
  void exportRefusesShardsTheServiceDoesNotHave() {
    RpcClient client = broker.client();
    String message = assertThrows(IllegalArgumentException.class,
        () -> client.server(Accounts.class, new AccountsImpl()).queue(queue).shards(0, 4).export()).getMessage();
    assertTrue(message.contains("has 4 shards (0 to 3), not shard 4"), message);
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> client.server(Accounts.class, new AccountsImpl()).queue(queue).shards(1, 1).export()).getMessage()
        .contains("shard 1 is given twice"));
  }

  @Test
  void aShardWithoutServerFailsFastWithUnavailableNamingItsQueueWhileTheOthersAnswer() throws Exception {
    recordingServerClient("some").server(Accounts.class, new AccountsImpl()).queue(queue).shards(0, 1, 2).export();
    try (Channel channel = broker.rawConnection().createChannel()) {
      channel.queueDeclare(shardQueue(3), true, false, false, null); // there, but nothing consumes it
    }
    Accounts accounts = broker.client(b -> b.timeout(Duration.ofSeconds(10))).proxy(Accounts.class, queue);
    String orphan = keyOn(3, 0);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> accounts.credit(orphan, 1));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(shardQueue(3)), e.getMessage());
    assertTrue(tookMillis < 5_000, "failed after " + tookMillis + " ms, not fast");
    for (int shard = 0; shard < 3; shard++) {
      String key = keyOn(shard, 1);
      assertEquals(key + "+7", accounts.credit(key, 7));
    }
  }

  @Test
  void aCallOfAShardWithoutQueueFailsAtOnceWithUnavailableNamingItsQueue() throws Exception {
    recordingServerClient("some").server(Accounts.class, new AccountsImpl()).queue(queue).shards(0).export();
    Accounts accounts = broker.client(b -> b.timeout(Duration.ofSeconds(10))).proxy(Accounts.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> accounts.credit(keyOn(2, 0), 1));
    assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(shardQueue(2)), e.getMessage());
  }

  @Test
  void aNullShardKeyFailsWithInvalidArgumentBeforeAnythingIsSent() {
    Accounts accounts = broker.client().proxy(Accounts.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> accounts.credit(null, 1));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void servesEveryShardAgainAfterLosingItsConnectionWithRecoveryOff() throws Exception {
    com.rabbitmq.client.ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    try (TcpProxy proxy = new TcpProxy(direct.getHost(), direct.getPort())) {
      com.rabbitmq.client.ConnectionFactory factory =
          RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:" + proxy.port());
      factory.setAutomaticRecoveryEnabled(false);
      RpcServer server = broker.client(b -> b.connectionFactory(factory).workers(4))
          .export(Accounts.class, new AccountsImpl(), queue);
      Accounts accounts = broker.client(b -> b.timeout(Duration.ofSeconds(2))).proxy(Accounts.class, queue);
      assertEquals("echo:before", accounts.echo("before"));

      proxy.cut(); // every shard's intake and the control channel are gone, and amqp-client will not recover them

      TestBroker.await(Duration.ofSeconds(20), "every shard consumed again", () -> {
        for (int i = 0; i < SHARDS; i++) {
          if (broker.consumerCount(shardQueue(i)) != 1) {
            return false;
          }
        }
        return true;
      });
      TestBroker.await(Duration.ofSeconds(10), "the server to say it serves", () -> server.state() == RpcServer.State.SERVING);
      for (int shard = 0; shard < SHARDS; shard++) {
        String key = keyOn(shard, 2);
        assertEquals(key + "+1", TestBroker.callUntilAnswered(() -> accounts.credit(key, 1)));
      }
    }
  }

  @Test
  @RequiresRabbitMq("the broker cancels the consumers of a deleted queue (basic.cancel); Qpid drops them silently")
  void deletingOneShardQueueUnderLoadFailsOnlyThatShardsCallsAndOnlyWithTypedErrors() throws Exception {
    RpcServer server = recordingServerClient("all").export(Accounts.class, new AccountsImpl(), queue);
    Duration timeout = Duration.ofSeconds(2);
    Accounts accounts = broker.client(b -> b.timeout(timeout)).proxy(Accounts.class, queue);
    AtomicLong[] answered = new AtomicLong[SHARDS];
    AtomicInteger[] failed = new AtomicInteger[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
      answered[i] = new AtomicLong();
      failed[i] = new AtomicInteger();
    }
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    int threadsPerShard = 2;
    ExecutorService load = Executors.newFixedThreadPool(SHARDS * threadsPerShard);
    List<Future<?>> workers = new ArrayList<>();
    try {
      for (int shard = 0; shard < SHARDS; shard++) {
        for (int t = 0; t < threadsPerShard; t++) {
          int s = shard;
          String key = keyOn(shard, t);
          workers.add(load.submit(() -> {
            for (int n = 0; !stop.get(); n++) {
              long start = System.nanoTime();
              try {
                String answer = accounts.credit(key, n);
                if (!answer.equals(key + "+" + n)) {
                  wrong.add("shard " + s + ": " + answer + " for " + key + "+" + n);
                }
                answered[s].incrementAndGet();
              } catch (RpcException e) {
                failed[s].incrementAndGet();
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (s != 1 || (e.code() != Code.UNAVAILABLE && e.code() != Code.DEADLINE_EXCEEDED)
                    || tookMillis > timeout.toMillis() + 1_000) {
                  wrong.add("shard " + s + ": " + e.code() + " after " + tookMillis + " ms: " + e.getMessage());
                }
              } catch (RuntimeException e) {
                wrong.add("shard " + s + ": untyped " + e);
              }
            }
          }));
        }
      }
      TestBroker.await(Duration.ofSeconds(20), "every shard to answer under load", () -> {
        for (AtomicLong a : answered) {
          if (a.get() < 50) {
            return false;
          }
        }
        return true;
      });

      try (Channel channel = broker.rawConnection().createChannel()) {
        channel.queueDelete(shardQueue(1)); // the broker cancels the server's consumer of shard 1 only
      }
      long[] atDelete = new long[SHARDS];
      for (int i = 0; i < SHARDS; i++) {
        atDelete[i] = answered[i].get();
      }
      TestBroker.await(Duration.ofSeconds(20), "shard 1 to be served again and the others to go on answering", () -> {
        for (int i = 0; i < SHARDS; i++) {
          if (answered[i].get() < atDelete[i] + 100) {
            return false;
          }
        }
        return broker.consumerCount(shardQueue(1)) == 1;
      });
    } finally {
      stop.set(true);
      load.shutdown();
    }
    assertTrue(load.awaitTermination(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS), "the load did not stop");
    for (Future<?> worker : workers) {
      worker.get(1, TimeUnit.SECONDS);
    }
    assertEquals(List.of(), List.copyOf(wrong));
    assertEquals(0, failed[0].get() + failed[2].get() + failed[3].get(), "calls failed on shards that kept their queue");
    TestBroker.await(Duration.ofSeconds(10), "the server to say it serves", () -> server.state() == RpcServer.State.SERVING);
    assertEquals(Set.of(shardQueue(0), shardQueue(1), shardQueue(2), shardQueue(3)),
        counts(servedFrom.get("all")).keySet());
  }
}
