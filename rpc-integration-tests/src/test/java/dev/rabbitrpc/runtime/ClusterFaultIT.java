package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster fault suite: faults of RabbitMQ nodes made for real on the 3-node cluster of
 * {@code .ci/rabbitmq-4-cluster.sh} (RabbitMQ 4.3, Khepri), while 32 threads call a quorum-queue service. The client (this
 * JVM) is on node 1, and two server JVMs ({@link FaultServerMain}) on nodes 2 and 3; each has the
 * whole cluster as its address list, starting with its own node. The first server declares the
 * quorum queue, so its leader starts on node 2.
 *
 * <p>For every fault: each call returned the right answer or failed with a typed
 * {@link dev.rabbitrpc.api.RpcException} within deadline + 1 s; no wrong answers; no non-idempotent
 * request ran twice (counted across both server JVMs); calls succeeded while the fault lasted; the
 * service answers normally afterwards. The table goes to
 * {@code rpc-integration-tests/target/reliability-cluster.md} (see docs/RELIABILITY.md).
 *
 * <p>Runs in the {@code it-cluster} execution of {@code mvn verify} when {@code RPC_CLUSTER_ADDRESSES}
 * names the cluster ({@code .ci/run} starts it and sets it); skipped, with the reason, otherwise.
 */
class ClusterFaultIT {
  private static final long TIMEOUT_MILLIS = 5_000;
  private static final int THREADS = 32;
  private static final String CLIENT = "rabbit-rpc cluster client";
  private static final String SERVER = "rabbit-rpc cluster server";
  private static final Duration ELECTION = Duration.ofSeconds(60);
  private static final Map<String, String> REPORT = new TreeMap<>();
  private static ClusterControl cluster;

  private final String queue = TestBroker.uniqueQueue("cluster-faults");
  private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeEach
  void findTheCluster() throws Exception {
    cluster = ClusterControl.forClusterSuite();
    cluster.heal(); // every node running
  }

  /**
   * The suite's connection settings, for the client and the servers: a 1 s heartbeat (a silent node
   * is noticed in about 2 s) and 2 s to connect and to complete the handshake, so that recovery
   * moves past a paused node in the address list in seconds, not amqp-client's 10 s handshake
   * timeout.
   */
  static ConnectionFactory factory(String uri) {
    ConnectionFactory factory = RpcClient.Builder.factoryFor(uri);
    factory.setRequestedHeartbeat(1);
    factory.setConnectionTimeout(2_000);
    factory.setHandshakeTimeout(2_000);
    return factory;
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (cluster == null) {
      return; // skipped
    }
    closeAll();
    cluster.heal(); // a test that failed in the middle of a fault leaves no node down
    cluster.deleteQueue(queue);
  }

  @AfterAll
  static void writeReport() throws IOException {
    if (REPORT.isEmpty()) {
      return;
    }
    StringBuilder table = new StringBuilder()
        .append("| fault | calls ok | ok during the fault | failed typed (by code) | lost | wrong answers"
            + " | double executions | first answer in the fault | longest gap | recovery |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    REPORT.values().forEach(table::append);
    Path target = Path.of("target", "reliability-cluster.md");
    Files.createDirectories(target.getParent());
    Files.writeString(target, table.toString());
    System.out.println("Cluster fault suite results:\n" + table);
  }

  // ---------------------------------------------------------------- faults

  @Test
  void queueLeadersNodeStopsAndReturns() throws Exception {
    Ledger ledger = startServersAndClient();
    int leader = cluster.leaderOf(queue, ELECTION);
    downAndBack(ledger, leader, false, "1 queue leader's node (hare" + leader + "): stop_app, 4 s, start_app");
  }

  @Test
  void queueLeadersNodeIsKilledAndRestarted() throws Exception {
    Ledger ledger = startServersAndClient();
    int leader = cluster.leaderOf(queue, ELECTION);
    downAndBack(ledger, leader, true, "2 queue leader's node (hare" + leader + "): kill -9, 4 s, restart");
  }

  @Test
  void clientsNodeStopsAndTheClientMovesToAnother() throws Exception {
    downAndBack(startServersAndClient(), 1, false, "3 client's node (hare1): stop_app, client moves, 4 s, start_app");
  }

  @Test
  void clientsNodeIsKilledAndTheClientMovesToAnother() throws Exception {
    downAndBack(startServersAndClient(), 1, true, "4 client's node (hare1): kill -9, client moves, 4 s, restart");
  }

  @Test
  void rollingRestartOfAllThreeNodes() throws Exception {
    Ledger ledger = startServersAndClient();
    FaultLoad load = startLoad(ledger);
    load.runFor(1_000);
    load.markFaultStart();
    for (int n = 1; n <= cluster.nodes(); n++) {
      cluster.stop(n);
      load.runFor(2_000);
      cluster.start(n);
      // The next node stops only once the queue has all its members again, as an operator's
      // rolling restart waits (rabbitmq-queues check_if_node_is_quorum_critical).
      TestBroker.await(ELECTION, "3 members of " + queue + " online", () -> onlineMembers() == cluster.nodes());
    }
    load.markFaultOver();
    load.runFor(4_000);
    finish("5 rolling restart: stop_app, 2 s, start_app on each node in turn", load, ledger);
  }

  @Test
  void followerNodeWithAServerPausedForAFewSeconds() throws Exception {
    Ledger ledger = startServersAndClient();
    int leader = cluster.leaderOf(queue, ELECTION);
    int follower = leader == 3 ? 2 : 3; // a follower with a server on it; the client's node 1 stays up
    FaultLoad load = startLoad(ledger);
    load.runFor(1_000);
    cluster.pause(follower);
    try {
      load.markFaultStart();
      load.runFor(6_000);
    } finally {
      cluster.resume(follower);
    }
    load.markFaultOver();
    cluster.heal();
    load.runFor(4_000);
    finish("6 follower node (hare" + follower + ") with a server paused (SIGSTOP) 6 s", load, ledger);
  }

  @Test
  void queueLeadersNodePausedUntilTheQueueFailsOver() throws Exception {
    Ledger ledger = startServersAndClient();
    int leader = cluster.leaderOf(queue, ELECTION);
    FaultLoad load = startLoad(ledger);
    load.runFor(1_000);
    cluster.pause(leader);
    try {
      load.markFaultStart();
      // Paused, the node neither answers nor closes its sockets: the other two elect a new leader
      // once they suspect it, which takes seconds. The node stays paused until they have.
      TestBroker.await(ELECTION, "a call answered while hare" + leader + " is paused", () -> load.okDuringFault.sum() > 0);
      load.runFor(2_000);
    } finally {
      cluster.resume(leader);
    }
    load.markFaultOver();
    cluster.heal();
    load.runFor(4_000);
    finish("7 queue leader's node (hare" + leader + ") paused (SIGSTOP) until the queue fails over, + 2 s", load, ledger);
  }

  // ---------------------------------------------------------------- fixture

  /**
   * Server JVMs on nodes 2 and 3 (the first declares the quorum queue), a client on node 1, and the
   * client's first answer, before the load: the load's calls then measure the fault, not a cold start.
   */
  private Ledger startServersAndClient() throws Exception {
    for (int n = 2; n <= 3; n++) {
      cleanup.add(FaultServerMain.start(executions, cluster.uri(n), queue, String.join(",", cluster.addressesFrom(n))));
    }
    RpcClient client = RpcClient.builder().connectionFactory(factory(cluster.uri(1))).addresses(cluster.addressesFrom(1))
        .timeout(Duration.ofMillis(TIMEOUT_MILLIS)).connectionName(CLIENT).build();
    cleanup.add(0, client); // closed first, before its servers
    Ledger ledger = client.proxy(Ledger.class, queue);
    assertEquals("warm", TestBroker.callUntilAnswered(() -> ledger.echo("warm")));
    assertEquals(List.of(1), cluster.nodesOfConnections(CLIENT), "the client is on node 1");
    TestBroker.await(Duration.ofSeconds(30), "the servers on nodes 2 and 3",
        () -> nodesOf(SERVER).equals(List.of(2, 3)));
    return ledger;
  }

  /**
   * Under load: node {@code n} stops ({@code stop_app}) or is killed, stays down 4 s (if it is the
   * client's, the client must have moved to another node by then), comes back; then 4 s more.
   */
  private void downAndBack(Ledger ledger, int n, boolean kill, String fault) throws Exception {
    FaultLoad load = startLoad(ledger);
    load.runFor(1_000);
    if (kill) {
      cluster.kill(n);
    } else {
      cluster.stop(n);
    }
    load.markFaultStart(); // the node is down now
    load.runFor(4_000);
    if (n == 1) {
      awaitClientMovedFrom(1);
    }
    cluster.start(n);
    load.markFaultOver();
    load.runFor(4_000);
    finish(fault, load, ledger);
  }

  private FaultLoad startLoad(Ledger ledger) {
    return FaultLoad.start(ledger, THREADS, TIMEOUT_MILLIS, 50, true);
  }

  /** Waits until the client's connection is on a node other than {@code lost}: it recovered to another address. */
  private void awaitClientMovedFrom(int lost) throws InterruptedException {
    TestBroker.await(Duration.ofSeconds(30), "the client on a node other than " + lost, () -> {
      List<Integer> nodes = nodesOf(CLIENT);
      return nodes.size() == 1 && nodes.get(0) != lost;
    });
    assertNotEquals(lost, nodesOf(CLIENT).get(0));
  }

  private List<Integer> nodesOf(String connectionName) {
    try {
      return cluster.nodesOfConnections(connectionName);
    } catch (Exception | AssertionError e) {
      return List.of(); // a node in the middle of a fault may not answer; asked again
    }
  }

  private int onlineMembers() {
    try {
      return cluster.onlineMembers(queue);
    } catch (Exception | AssertionError e) {
      return 0;
    }
  }

  private void closeAll() throws Exception {
    for (AutoCloseable resource : cleanup) {
      resource.close(); // a server JVM's EXEC lines are all read before counting
    }
    cleanup.clear();
  }

  /** Stops the load, checks every invariant, records the row. */
  private void finish(String fault, FaultLoad load, Ledger ledger) throws Exception {
    load.stop();
    String answer = TestBroker.callUntilAnswered(() -> ledger.echo("after"));
    long recovery = load.recoveryMillis();
    closeAll();
    long doubles = executions.values().stream().filter(count -> count.get() > 1).count();
    REPORT.put(fault, "| " + fault + " | " + load.ok.sum() + " | " + load.okDuringFault.sum() + " | "
        + load.failures() + " | " + (load.untyped.sum() + load.late.sum()) + " | " + load.wrong.sum() + " | "
        + doubles + " | " + (load.failoverMillis() < 0 ? "none" : load.failoverMillis() + " ms") + " | "
        + load.longestGapMillis() + " ms | " + (recovery < 0 ? "n/a" : recovery + " ms") + " |\n");
    assertEquals("after", answer, "the service answers normally afterwards");
    assertEquals(0, load.wrong.sum(), "wrong answers");
    assertEquals(0, load.untyped.sum(), "untyped failures, first: " + load.firstUntyped.get());
    assertEquals(0, load.late.sum(), "calls that ended later than deadline + 1 s");
    assertEquals(0, doubles, "non-idempotent double executions");
    assertTrue(load.okDuringFault.sum() > 0, "calls succeeded during the fault");
    assertTrue(recovery >= 0, "a call succeeded after the fault");
  }
}
