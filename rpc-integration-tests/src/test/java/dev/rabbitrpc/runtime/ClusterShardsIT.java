package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A sharded service on quorum queues on the 3-node cluster of {@code .ci/rabbitmq-4-cluster.sh}: its
 * shards' leaders spread over the nodes ({@code x-queue-leader-locator: balanced}), and a node that
 * holds one shard's leader stopped under load moves that shard's leader only; every call answers
 * right or fails typed within deadline + 1 s, and the other shards keep answering throughout.
 *
 * <p>The server (a client of its own, in this JVM) is on node 2, the calling client on node 1;
 * node 3 holds no connection, so stopping it is the leader's fault alone. Runs in the
 * {@code it-cluster} execution, like {@link ClusterFaultIT}.
 */
class ClusterShardsIT {
  private static final long TIMEOUT_MILLIS = 5_000;
  private static final int SHARDS = 3;
  private static final Duration ELECTION = Duration.ofSeconds(60);

  /** The fault suite's ledger, sharded: calls without a key go round-robin over the 3 quorum shards. */
  @RpcService(shards = SHARDS)
  interface ShardedLedger extends Ledger {}

  private final String queue = TestBroker.uniqueQueue("cluster-shards");
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  /** Requests run, per shard queue (a ServerInterceptor reading queue()). */
  private final Map<String, LongAdder> served = new ConcurrentHashMap<>();
  private ClusterControl cluster;

  @BeforeEach
  void findTheCluster() throws Exception {
    cluster = ClusterControl.forClusterSuite();
    cluster.heal();
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (cluster == null) {
      return;
    }
    for (AutoCloseable resource : cleanup) {
      resource.close();
    }
    cluster.heal();
    for (int i = 0; i < SHARDS; i++) {
      cluster.deleteQueue(shard(i));
    }
  }

  private String shard(int i) {
    return Sharding.queueName(queue, i);
  }

  @Test
  void stoppingTheNodeOfOneShardsLeaderMovesThatLeaderOnlyAndLosesNoCall() throws Exception {
    RpcClient server = RpcClient.builder().connectionFactory(ClusterFaultIT.factory(cluster.uri(2)))
        .addresses(cluster.addressesFrom(2)).quorumQueues(true).workers(8).connectionName("rabbit-rpc shards server")
        .serverInterceptor((call, chain) -> {
          served.computeIfAbsent(call.queue(), q -> new LongAdder()).increment();
          return chain.proceed(call);
        }).build();
    cleanup.add(server);
    Ledger.Impl impl = new Ledger.Impl(new ConcurrentHashMap<String, AtomicInteger>(), id -> { });
    server.export(ShardedLedger.class, new ShardedLedger() {
      @Override public long add(String callId, long amount) {
        return impl.add(callId, amount);
      }

      @Override public long slowAdd(String callId, long amount, long millis) {
        return impl.slowAdd(callId, amount, millis);
      }

      @Override public String echo(String value) {
        return impl.echo(value);
      }
    }, queue);

    // Declared one after another on one connection, the leaders still land on three nodes.
    int[] before = new int[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
      before[i] = cluster.leaderOf(shard(i), ELECTION);
    }
    Set<Integer> nodes = new TreeSet<>();
    for (int leader : before) {
      nodes.add(leader);
    }
    assertEquals(Set.of(1, 2, 3), nodes, "the shards' leaders, one per node: " + java.util.Arrays.toString(before));
    int moved = indexOf(before, 3); // node 3 holds no connection: stopping it moves this leader and nothing else

    RpcClient client = RpcClient.builder().connectionFactory(ClusterFaultIT.factory(cluster.uri(1)))
        .addresses(cluster.addressesFrom(1)).timeout(Duration.ofMillis(TIMEOUT_MILLIS))
        .connectionName("rabbit-rpc shards client").build();
    cleanup.add(0, client);
    Ledger ledger = client.proxy(ShardedLedger.class, queue);
    for (int i = 0; i < SHARDS; i++) {
      assertEquals("warm", TestBroker.callUntilAnswered(() -> ledger.echo("warm")));
    }

    FaultLoad load = FaultLoad.start(ledger, 12, TIMEOUT_MILLIS, 20, true);
    load.runFor(1_000);
    cluster.stop(3);
    load.markFaultStart();
    long[] servedAtStop = servedPerShard();
    int[] during = new int[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
      during[i] = cluster.leaderOf(shard(i), ELECTION); // the moved shard's after its election
    }
    TestBroker.await(Duration.ofSeconds(30), "every shard to answer with node 3 down", () -> {
      long[] now = servedPerShard();
      for (int i = 0; i < SHARDS; i++) {
        if (now[i] <= servedAtStop[i] + 20) {
          return false;
        }
      }
      return true;
    });
    load.runFor(2_000);
    cluster.start(3);
    load.markFaultOver();
    load.runFor(2_000);
    load.stop();

    assertNotEquals(3, during[moved], "shard " + moved + "'s leader left the stopped node");
    for (int i = 0; i < SHARDS; i++) {
      if (i != moved) {
        assertEquals(before[i], during[i], "shard " + i + "'s leader stays where it was");
        assertEquals(before[i], cluster.leaderOf(shard(i), ELECTION), "shard " + i + "'s leader, after the fault");
      }
    }
    System.out.println("sharded cluster fault: " + load.ok.sum() + " ok (" + load.okDuringFault.sum()
        + " during the fault), failed typed " + load.failures() + ", leaders " + java.util.Arrays.toString(before)
        + " -> " + java.util.Arrays.toString(during) + ", longest gap " + load.longestGapMillis() + " ms");
    assertEquals(0, load.wrong.sum(), "wrong answers");
    assertEquals(0, load.untyped.sum(), "untyped failures, first: " + load.firstUntyped.get());
    assertEquals(0, load.late.sum(), "calls that ended later than deadline + 1 s");
    assertTrue(load.okDuringFault.sum() > 0, "calls succeeded during the fault");
    assertEquals("after", TestBroker.callUntilAnswered(() -> ledger.echo("after")));
  }

  private long[] servedPerShard() {
    long[] counts = new long[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
      LongAdder count = served.get(shard(i));
      counts[i] = count == null ? 0 : count.sum();
    }
    return counts;
  }

  private static int indexOf(int[] values, int value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    throw new AssertionError(value + " not in " + java.util.Arrays.toString(values));
  }
}
