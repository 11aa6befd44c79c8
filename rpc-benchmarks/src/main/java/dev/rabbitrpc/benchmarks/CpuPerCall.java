package dev.rabbitrpc.benchmarks;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.UUID;

/**
 * Where the CPU of a pipelined call goes: this JVM's (clients and servers) and the broker's, per
 * call, with 256 calls in flight and a 16 B payload, for the raw client and the tutorial-style echo
 * (prefetch 100), the raw client with rabbit-rpc's properties, that client against rabbit-rpc's
 * server at its defaults (prefetch adaptive: workers, 8 x that once handlers show short) and with the echo's prefetch of 100, and rabbit-rpc's
 * async proxy. The broker's CPU is
 * read from {@code /proc} for the process listening on the broker's port, and is only available when
 * RabbitMQ runs on this machine (other Erlang VMs, such as a cluster's nodes, are not counted).
 *
 * <pre>
 * java -cp rpc-benchmarks/target/rabbit-rpc-benchmarks.jar dev.rabbitrpc.benchmarks.CpuPerCall [calls] [uri] [--properties]
 * </pre>
 *
 * <p>With {@code --properties} it measures instead what each of rabbit-rpc's request properties
 * costs on its own: the raw client and echo, with none, each one alone, and all of them.
 *
 * <p>Each peer runs twice per repetition (the first pass warms up), three repetitions, interleaved.
 * Not thread-safe; {@link #main} is the entry point.
 */
public final class CpuPerCall {
  private static final int IN_FLIGHT = 256;
  private static final long CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

  private CpuPerCall() {}

  /** Entry point: {@code [calls per pass, default 20000] [broker URI]}. */
  public static void main(String[] args) throws Exception {
    run(args, System.out);
  }

  /** Runs the measurements, printing one row per peer and pass to {@code out}. */
  static void run(String[] args, PrintStream out) throws Exception {
    boolean properties = java.util.Arrays.asList(args).contains("--properties");
    args = java.util.Arrays.stream(args).filter(arg -> !arg.equals("--properties")).toArray(String[]::new);
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String uri = args.length > 1 ? args[1]
        : System.getenv("RPC_AMQP_URI") != null ? System.getenv("RPC_AMQP_URI") : "amqp://guest:guest@localhost:5672";
    if (properties) {
      measureProperties(uri, calls, out);
      return;
    }
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    broker = BrokerCpu.listeningOn(factory.getPort());
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String rawQueue = "rabbit-rpc-bench.cpu-raw-" + suffix;
    String rpcQueue = "rabbit-rpc-bench.cpu-rpc-" + suffix;
    String rpcDeepQueue = "rabbit-rpc-bench.cpu-rpc-deep-" + suffix;
    Payload payload = Payload.ofSize(16);
    byte[] body = Peers.requestBody(JsonMapper.builder().build(), payload);
    int prefetch = EndToEndBenchmark.TUTORIAL_PREFETCH;
    out.printf(Locale.ROOT, "# CPU per pipelined call, %d in flight, 16 B, %d calls per pass; load %.2f; broker CPU %s%n",
        IN_FLIGHT, calls, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        brokerTicks() < 0 ? "not found (remote broker?)" : "from /proc");
    try (Connection servers = factory.newConnection("bench cpu servers");
        Connection clients = factory.newConnection("bench cpu clients");
        RawEchoServer rawServer = new RawEchoServer(servers, rawQueue, prefetch);
        RpcClient defaultServer = RpcClient.builder().uri(uri).connectionName("bench cpu rpc server").build();
        RpcClient deepServer = RpcClient.builder().uri(uri).prefetch(prefetch)
            .connectionName("bench cpu rpc server prefetch " + prefetch).build();
        RpcClient rpcClient = RpcClient.builder().uri(uri).connectionName("bench cpu rpc client").build();
        RawClient plain = new RawClient(clients, rawServer.queue());
        RawClient withProperties = new RawClient(clients, rawQueue, true);
        RawClient toServer = new RawClient(clients, rpcQueue, true);
        RawClient toDeep = new RawClient(clients, rpcDeepQueue, true)) {
      RpcServer defaultEcho = defaultServer.export(EchoService.class, new EchoService.Impl(), rpcQueue);
      RpcServer deepEcho = deepServer.export(EchoService.class, new EchoService.Impl(), rpcDeepQueue);
      EchoService proxy = rpcClient.proxy(EchoService.class, rpcQueue);
      try {
        for (int repetition = 0; repetition < 3; repetition++) {
          measure("raw", () -> plain.send(body), calls, out);
          measure("raw + rabbit-rpc properties", () -> withProperties.send(body), calls, out);
          measure("raw + properties -> rabbit-rpc server (defaults)", () -> toServer.send(body), calls, out);
          measure("raw + properties -> rabbit-rpc server (prefetch " + prefetch + ")", () -> toDeep.send(body), calls,
              out);
          measure("rabbit-rpc async -> rabbit-rpc server", () -> proxy.echoAsync(payload), calls, out);
        }
      } finally {
        // Closed first: an open server declares its deleted (durable) queue again.
        defaultEcho.closeAndDeleteCreatedQueue();
        deepEcho.closeAndDeleteCreatedQueue();
      }
    }
  }

  /** The raw client and echo, adding rabbit-rpc's request properties one at a time, then all. */
  private static void measureProperties(String uri, int calls, PrintStream out) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    broker = BrokerCpu.listeningOn(factory.getPort());
    String queue = "rabbit-rpc-bench.cpu-properties-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] body = Peers.requestBody(JsonMapper.builder().build(), Payload.ofSize(16));
    out.printf(Locale.ROOT, "# broker CPU per pipelined call by request property, %d in flight, 16 B, %d calls per pass; load %.2f%n",
        IN_FLIGHT, calls, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    try (Connection servers = factory.newConnection("bench cpu servers");
        Connection clients = factory.newConnection("bench cpu clients");
        RawEchoServer rawServer = new RawEchoServer(servers, queue, Runtime.getRuntime().availableProcessors())) {
      for (int repetition = 0; repetition < 2; repetition++) {
        for (RawClient.Property property : RawClient.Property.values()) {
          try (RawClient client = new RawClient(clients, rawServer.queue(), java.util.EnumSet.of(property))) {
            measure("only " + property, () -> client.send(body), calls, out);
          }
        }
        try (RawClient none = new RawClient(clients, rawServer.queue());
            RawClient all = new RawClient(clients, rawServer.queue(), true)) {
          measure("none", () -> none.send(body), calls, out);
          measure("all", () -> all.send(body), calls, out);
        }
      }
    }
  }

  private static void measure(String name, Peers.AsyncCaller starter, int calls, PrintStream out) throws Exception {
    EndToEndBenchmark.pump(starter, IN_FLIGHT, calls, null); // warm-up
    long broker0 = brokerTicks();
    long cpu0 = processCpuNanos();
    long start = System.nanoTime();
    EndToEndBenchmark.pump(starter, IN_FLIGHT, calls, null);
    long wall = System.nanoTime() - start;
    long cpu = processCpuNanos() - cpu0;
    long broker = brokerTicks() - broker0;
    out.printf(Locale.ROOT, "| %-48s | %7.0f calls/s | JVM %6.1f µs/call | broker %s |%n", name,
        calls / (wall / 1e9), cpu / 1e3 / calls,
        broker0 < 0 ? "n/a" : String.format(Locale.ROOT, "%6.1f µs/call", broker * 1e6 / CLOCK_TICKS_PER_SECOND / calls));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The local broker's process, found once by the port it listens on; null for a remote broker. */
  private static volatile BrokerCpu broker;

  /** User + system CPU ticks of the local broker process, or -1. */
  private static long brokerTicks() {
    BrokerCpu process = broker;
    return process == null ? -1 : process.ticks();
  }
}
