package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The 3-node RabbitMQ cluster of {@code rpc.cluster.script}: RabbitMQ 4.3 ({@code
 * .ci/rabbitmq-4-cluster.sh}, hare4n1..3@localhost) or 3.10 ({@code .ci/rabbitmq-cluster.sh}), for
 * {@link ClusterFaultIT}: its addresses, and its nodes stopped, killed, paused and started through
 * that script, the one home of how the cluster is run. Nodes are numbered 1 to 3, in the order of
 * {@code RPC_CLUSTER_ADDRESSES}.
 */
final class ClusterControl {
  /** What {@code .ci/run} exports while the cluster is up: {@code host:port,host:port,host:port}. */
  static final String ADDRESSES_ENV = "RPC_CLUSTER_ADDRESSES";
  static final String ADDRESSES_PROPERTY = "rpc.cluster.addresses";

  private final List<String> addresses;
  private final Path script;

  private ClusterControl(List<String> addresses, Path script) {
    this.addresses = addresses;
    this.script = script;
  }

  /** The cluster named by {@code RPC_CLUSTER_ADDRESSES} (or {@code -Drpc.cluster.addresses}), if any. */
  static Optional<ClusterControl> fromEnvironment() {
    String listed = System.getProperty(ADDRESSES_PROPERTY, System.getenv(ADDRESSES_ENV));
    if (listed == null || listed.isBlank()) {
      return Optional.empty();
    }
    Path script = Path.of(System.getProperty("rpc.cluster.script", "../.ci/rabbitmq-4-cluster.sh"));
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("no cluster script at " + script.toAbsolutePath());
    }
    return Optional.of(new ClusterControl(List.of(listed.split(",")), script));
  }

  /**
   * The cluster for a test of the {@code it-cluster} execution: skipped (with the reason) outside
   * that execution or without {@code RPC_CLUSTER_ADDRESSES}, failed instead when {@code CI=true}
   * ({@code .ci/run} starts the cluster there: a skip would hide that it is not).
   */
  static ClusterControl forClusterSuite() {
    org.junit.jupiter.api.Assumptions.assumeTrue("true".equals(System.getProperty("rpc.it.cluster")),
        "the cluster suite runs in the it-cluster execution of rpc-integration-tests only");
    Optional<ClusterControl> found = fromEnvironment();
    org.junit.jupiter.api.Assertions.assertTrue(found.isPresent() || !"true".equals(System.getenv("CI")),
        "CI=true but " + ADDRESSES_ENV + " is not set: .ci/run starts the cluster and sets it");
    org.junit.jupiter.api.Assumptions.assumeTrue(found.isPresent(), "no RabbitMQ cluster: " + ADDRESSES_ENV
        + " is not set (start one with `bash .ci/rabbitmq-4-cluster.sh up` and export " + ADDRESSES_ENV
        + "=$(bash .ci/rabbitmq-4-cluster.sh addresses); .ci/run does both)");
    return found.get();
  }

  int nodes() {
    return addresses.size();
  }

  /** The URI of node {@code n} (guest/guest). */
  String uri(int n) {
    return "amqp://guest:guest@" + addresses.get(n - 1);
  }

  /** Every address, starting at node {@code n}: a peer with this list connects to {@code n} first. */
  String[] addressesFrom(int n) {
    List<String> rotated = new ArrayList<>(addresses.subList(n - 1, addresses.size()));
    rotated.addAll(addresses.subList(0, n - 1));
    return rotated.toArray(String[]::new);
  }

  /** A plain connection to the first reachable node, for cleaning up. */
  Connection rawConnection() throws Exception {
    ConnectionFactory factory = RpcClient.Builder.factoryFor(uri(1));
    factory.setAutomaticRecoveryEnabled(false);
    List<Address> all = new ArrayList<>();
    for (String address : addresses) {
      all.add(Address.parseAddress(address));
    }
    return factory.newConnection(all, "rabbit-rpc cluster test");
  }

  /** Deletes a queue, best effort (the cluster may be in the middle of a fault). */
  void deleteQueue(String queue) {
    try (Connection connection = rawConnection(); Channel channel = connection.createChannel()) {
      channel.queueDelete(queue);
    } catch (Exception e) {
      System.err.println("could not delete " + queue + ": " + e);
    }
  }

  /** {@code rabbitmqctl stop_app} on node {@code n}: the node leaves, its Erlang VM stays. */
  void stop(int n) throws Exception {
    script("stop", String.valueOf(n));
  }

  /** Starts node {@code n} (its app, or its VM after a kill) and waits until it has started. */
  void start(int n) throws Exception {
    script("start", String.valueOf(n));
  }

  /** {@code kill -9} of node {@code n}'s Erlang VM; returns once it is gone. */
  void kill(int n) throws Exception {
    script("kill", String.valueOf(n));
  }

  /** {@code kill -STOP} of node {@code n}'s Erlang VM: cut off, its sockets open and silent. */
  void pause(int n) throws Exception {
    script("pause", String.valueOf(n));
  }

  void resume(int n) throws Exception {
    script("resume", String.valueOf(n));
  }

  /** Resumes and starts every node that is not running, and waits until all are. */
  void heal() throws Exception {
    script("heal");
  }

  /** The node of the quorum queue's leader, awaited (at most {@code timeout}) while there is none. */
  int leaderOf(String queue, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Integer> leader = numbers(script("leader", queue));
      if (!leader.isEmpty()) {
        return leader.get(0);
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("no leader for " + queue + " within " + timeout.toMillis() + " ms");
      }
      Thread.sleep(200); // polling interval of a bounded wait for an election
    }
  }

  /** How many members of the quorum queue are online. */
  int onlineMembers(String queue) throws Exception {
    List<Integer> online = numbers(script("online", queue));
    return online.isEmpty() ? 0 : online.get(0);
  }

  /** The nodes of the connections named {@code name}, one entry per connection. */
  List<Integer> nodesOfConnections(String name) throws Exception {
    List<Integer> nodes = numbers(script("connection", name));
    nodes.sort(null);
    return nodes;
  }

  /** The lines of the script's output that are numbers (its answers; rabbitmqctl may log on stderr). */
  private static List<Integer> numbers(String output) {
    List<Integer> numbers = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.trim().matches("[0-9]+")) {
        numbers.add(Integer.parseInt(line.trim()));
      }
    }
    return numbers;
  }

  private String script(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(Arrays.asList(args));
    return Rabbitmqctl.exec(command, 240);
  }
}
