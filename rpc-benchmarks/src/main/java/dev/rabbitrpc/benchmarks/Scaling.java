package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * How rabbit-rpc scales, measured on the machine it runs on (docs/SCALING.md): one command, three
 * parts, a markdown report.
 *
 * <ol>
 *   <li><b>Server processes</b>: 1, 2 and 4 server JVMs ({@link FairnessServerMain} {@code scaling})
 *       on one durable queue, each with few workers and a 5 ms handler, so that the ideal rate
 *       (servers x workers / 5 ms) stays well below what the machine can push; the ceiling of the
 *       same servers with an instant handler; then fair dispatch with one of 3 servers 10x slower.
 *   <li><b>Client processes</b>: 1, 4 and 16 client JVMs ({@link ScalingClientMain}) against 2 of
 *       those servers, the same total of calls in flight spread over them; each client's connection
 *       goes through its own {@link CountingProxy}, which measures its bytes and frames while idle and
 *       per call, and what it asks the broker to create; with {@code rabbitmqctl} at hand, the
 *       broker's own count of queues, consumers, channels and connections per client too.
 *   <li><b>One queue vs several</b>: the rate of 1, 2 and 4 queues with an instant handler, hand-written
 *       amqp-client ({@link RawClient} against a tutorial-style echo) and rabbit-rpc, to tell a
 *       queue's limit from the node's.
 * </ol>
 *
 * <pre>
 * java -cp rpc-benchmarks/target/rabbit-rpc-benchmarks.jar dev.rabbitrpc.benchmarks.Scaling [--smoke]
 *     [--uri amqp://…] [--out report.md] [--node NODE]
 * </pre>
 *
 * <p>The broker is {@code --uri}, else {@code RPC_AMQP_URI}, else {@code amqp://guest:guest@localhost:5672}.
 * {@code --node} names the RabbitMQ node for {@code rabbitmqctl -n}; without it, the broker counts
 * are taken with rabbitmqctl's default node when the broker is on localhost:5672, and left out
 * otherwise. {@code --smoke} runs every part with tiny counts and windows (CI runs it) and proves
 * nothing about speed. Progress lines go to standard error, the report to standard output (and to
 * {@code --out}).
 *
 * <p>Not thread-safe: one run at a time; {@link #main} is the entry point.
 */
public final class Scaling {
  private static final long RESULT_SECONDS = 120;
  private static final List<String> SERVER_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC");
  private static final List<String> CLIENT_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  /** The handler time of the server-process and client-process parts, ms. */
  static final int HANDLER_MILLIS = 5;
  /** The slow server's handler time over the others'. */
  static final int SLOWDOWN = 10;
  /** Workers (and prefetch) of each server JVM. */
  static final int WORKERS = 2;

  /** How much to run. */
  enum Mode {
    SMOKE(new int[] {1, 2}, new int[] {1, 2}, new int[] {1, 2}, ms(200), ms(500), ms(1_000), 16, 64, 8, 64),
    FULL(new int[] {1, 2, 4}, new int[] {1, 4, 16}, new int[] {1, 2, 4}, ms(3_000), ms(10_000), ms(30_000), 32, 256,
        128, 640);

    final int[] servers;
    final int[] clients;
    final int[] queues;
    final Duration warmUp;
    final Duration window;
    final Duration idle;
    /** Calls in flight, in all, of the server-process and client-process parts. */
    final int inFlight;
    /** Calls in flight when measuring the ceiling. */
    final int ceilingInFlight;
    /** Calls in flight per queue in the queues part. */
    final int inFlightPerQueue;
    /** Calls in flight, in all, of the client-process part's backlog: enough for calls to wait over half a second. */
    final int backlogInFlight;

    Mode(int[] servers, int[] clients, int[] queues, Duration warmUp, Duration window, Duration idle, int inFlight,
        int ceilingInFlight, int inFlightPerQueue, int backlogInFlight) {
      this.servers = servers;
      this.clients = clients;
      this.queues = queues;
      this.warmUp = warmUp;
      this.window = window;
      this.idle = idle;
      this.inFlight = inFlight;
      this.ceilingInFlight = ceilingInFlight;
      this.inFlightPerQueue = inFlightPerQueue;
      this.backlogInFlight = backlogInFlight;
    }

    private static Duration ms(long millis) {
      return Duration.ofMillis(millis);
    }

    /**
     * Progress steps of a run: each server count, the ceiling, the slow server, idle, load and backlog
     * per client count, each queue count twice.
     */
    int steps() {
      return servers.length + 2 + 3 * clients.length + 3 * queues.length;
    }
  }

  private final Mode mode;
  private final String uri;
  private final String node;
  private final PrintStream out;
  private final Progress progress;
  private final StringBuilder report = new StringBuilder();
  private final String queue = "rabbit-rpc-bench.scale-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<ChildJvm> servers = new ArrayList<>();
  private final URI address;
  private final BrokerCpu brokerCpu;
  private int nextServer = 1;

  private Scaling(Mode mode, String uri, String node, PrintStream out, PrintStream progress) {
    this.mode = mode;
    this.uri = uri;
    this.node = node;
    this.out = out;
    this.progress = new Progress(progress);
    this.address = URI.create(uri);
    boolean local = List.of("localhost", "127.0.0.1", "::1").contains(address.getHost());
    this.brokerCpu = local ? BrokerCpu.listeningOn(port(address)) : null;
  }

  /** Runs it; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs it and returns the exit code (0, or 2 for bad arguments). */
  static int run(String[] args, PrintStream out, PrintStream progress) throws Exception {
    Mode mode = Mode.FULL;
    String uri = System.getenv("RPC_AMQP_URI");
    Path file = null;
    String node = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--smoke" -> mode = Mode.SMOKE;
        case "--uri" -> uri = value(args, ++i);
        case "--out" -> file = Path.of(value(args, ++i));
        case "--node" -> node = value(args, ++i);
        default -> {
          progress.println("usage: [--smoke] [--uri amqp://…] [--out report.md] [--node NODE]; unknown: " + args[i]);
          return 2;
        }
      }
    }
    if (uri == null || uri.isBlank()) {
      uri = "amqp://guest:guest@localhost:5672";
    }
    URI parsed = URI.create(uri);
    if (node == null && List.of("localhost", "127.0.0.1").contains(parsed.getHost()) && port(parsed) == 5672) {
      node = ""; // rabbitmqctl's default node
    }
    Scaling scaling = new Scaling(mode, uri, node, out, progress);
    scaling.runAll();
    if (file != null) {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, scaling.report);
    }
    return 0;
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static int port(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : "amqps".equals(uri.getScheme()) ? 5671 : 5672;
  }

  private void runAll() throws Exception {
    progress.plan(mode.steps());
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    try (Connection admin = factory.newConnection("bench scaling admin")) {
      header(admin);
      // Durable, shared by several processes: RabbitMQ 4.3 refuses transient non-exclusive queues.
      try (Channel channel = admin.createChannel()) {
        channel.queueDeclare(queue, true, false, false, null);
      }
      try {
        serverProcesses();
        clientProcesses();
      } finally {
        for (ChildJvm server : servers) {
          server.stop();
        }
        try (Channel channel = admin.createChannel()) {
          channel.queueDelete(queue);
        }
      }
      queues(factory);
    }
    print("");
  }

  private void header(Connection connection) {
    print("# rabbit-rpc scaling (" + mode.name().toLowerCase(Locale.ROOT) + ")");
    print("");
    print("- date: " + Instant.now());
    print("- JDK: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    print("- cores: " + Runtime.getRuntime().availableProcessors() + ", load average at start: " + load());
    print("- broker: RabbitMQ " + connection.getServerProperties().get("version") + " at "
        + connection.getAddress().getHostAddress() + ":" + connection.getPort() + ", heartbeat "
        + connection.getHeartbeat() + " s (negotiated)" + (brokerCpu == null ? ", its CPU not readable here" : ""));
    print("- server JVMs: " + String.join(" ", SERVER_JVM) + "; client JVMs: " + String.join(" ", CLIENT_JVM)
        + "; rabbit-rpc at its defaults but for workers/prefetch where stated");
    print("- windows: warm-up " + seconds(mode.warmUp) + " s, measured " + seconds(mode.window) + " s, idle "
        + seconds(mode.idle) + " s");
  }

  // ---------------------------------------------------------------- 1. server processes

  private void serverProcesses() throws Exception {
    print("");
    print("## 1. Server processes on one queue");
    print("");
    print("Each server JVM: " + WORKERS + " workers, prefetch " + WORKERS + ", handler waits " + HANDLER_MILLIS
        + " ms (I/O-bound); one client (this JVM, one RpcClient at its defaults) keeps " + mode.inFlight
        + " async calls in flight. Ideal = servers x " + WORKERS + " / " + HANDLER_MILLIS + " ms.");
    print("");
    print("| servers | calls/s | ideal | of ideal | vs 1 server | p50 ms | p99 ms | calls per server |");
    print("|---|---|---|---|---|---|---|---|");
    double one = Double.NaN;
    double two = Double.NaN;
    try (RpcClient client = RpcClient.builder().uri(uri).connectionName("bench scaling caller").build()) {
      ScalingService service = client.proxy(ScalingService.class, queue);
      boolean compiled = false;
      for (int n : mode.servers) {
        while (servers.size() < n) {
          servers.add(startServer(1));
        }
        if (!compiled) {
          // Instant calls first, many at once, so that this JVM's and the first server's code is compiled
          // before the first row: otherwise the 1-server row also measures the JIT, and every ratio to it is off.
          new ClosedLoop().run(() -> service.work(0), mode.ceilingInFlight, mode.warmUp, Duration.ZERO);
          compiled = true;
        }
        progress.step("scaling: " + n + " server JVM" + (n == 1 ? "" : "s") + ", handler " + HANDLER_MILLIS + " ms");
        ClosedLoop.Result result = new ClosedLoop().run(() -> service.work(HANDLER_MILLIS), mode.inFlight,
            mode.warmUp, mode.window);
        double rate = result.callsPerSecond();
        one = Double.isNaN(one) ? rate : one;
        two = n == 2 ? rate : two;
        double ideal = n * WORKERS * 1000.0 / HANDLER_MILLIS;
        Stats stats = result.stats();
        print(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.2f | %.2fx | %s | %s | %s |", n, rate, ideal,
            rate / ideal, rate / one, ms(stats.p50Nanos()), ms(stats.p99Nanos()), perServer(result)));
      }
      ceiling(service);
      slowServer(service, two);
    }
  }

  private ChildJvm startServer(int slowdown) throws Exception {
    String id = (slowdown == 1 ? "S" : "slow") + nextServer++;
    return ChildJvm.start("scaling server " + id, FairnessServerMain.class, SERVER_JVM, List.of("scaling", uri, queue,
        id, Integer.toString(WORKERS), Integer.toString(WORKERS), Integer.toString(slowdown)));
  }

  /** The same servers with an instant handler and many calls in flight: what this machine and broker push. */
  private void ceiling(ScalingService service) throws Exception {
    progress.step("scaling: ceiling, " + servers.size() + " server JVMs, instant handler");
    Cpu cpu = new Cpu(brokerCpu);
    ClosedLoop.Result result = cpu.loop().run(() -> service.work(0), mode.ceilingInFlight, mode.warmUp, mode.window);
    double idealMax = servers.size() * WORKERS * 1000.0 / HANDLER_MILLIS;
    print("");
    print(String.format(Locale.ROOT, "Ceiling: the same %d servers with an instant handler and %d calls in flight: "
            + "**%.0f calls/s** (p50 %s ms, p99 %s ms; CPU %s, broker %s µs per call). The %d-server ideal above "
            + "is %.0f%% of it.",
        servers.size(), mode.ceilingInFlight, result.callsPerSecond(), ms(result.stats().p50Nanos()),
        ms(result.stats().p99Nanos()), cpu, micros(cpu.brokerMicrosPerCall(result.callsPerSecond())), servers.size(),
        100 * idealMax / result.callsPerSecond()));
  }

  /** Fair dispatch: 2 of the servers as they are and a third whose handler is {@link #SLOWDOWN} times slower. */
  private void slowServer(ScalingService service, double twoServers) throws Exception {
    while (servers.size() > 2) {
      servers.remove(servers.size() - 1).stop();
    }
    ChildJvm slow = startServer(SLOWDOWN);
    try {
      progress.step("scaling: 2 servers + 1 " + SLOWDOWN + "x slower");
      ClosedLoop.Result result = new ClosedLoop().run(() -> service.work(HANDLER_MILLIS), mode.inFlight, mode.warmUp,
          mode.window);
      print("");
      print("### Fair dispatch with one slow server");
      print("");
      print(String.format(Locale.ROOT, "3 server JVMs (%d workers, prefetch %d each), one of them (%s) with a %d ms "
              + "handler (%dx), %d calls in flight: **%.0f calls/s** in all, %.2fx the 2 fast servers alone above; "
              + "p50 %s ms, p99 %s ms over every call. Ideal if the slow one only adds its share: %.0f calls/s.",
          WORKERS, WORKERS, "slow" + (nextServer - 1), HANDLER_MILLIS * SLOWDOWN, SLOWDOWN, mode.inFlight,
          result.callsPerSecond(), result.callsPerSecond() / twoServers, ms(result.stats().p50Nanos()),
          ms(result.stats().p99Nanos()), (2.0 + 1.0 / SLOWDOWN) * WORKERS * 1000 / HANDLER_MILLIS));
      print("");
      print("| server | handler ms | calls | share | p50 ms | p99 ms |");
      print("|---|---|---|---|---|---|");
      int all = result.calls();
      for (Map.Entry<String, long[]> server : result.latenciesByServer().entrySet()) {
        long[] sorted = server.getValue().clone();
        Arrays.sort(sorted);
        print(String.format(Locale.ROOT, "| %s | %d | %d | %.1f%% | %s | %s |", server.getKey(),
            server.getKey().startsWith("slow") ? HANDLER_MILLIS * SLOWDOWN : HANDLER_MILLIS, sorted.length,
            100.0 * sorted.length / Math.max(1, all), ms(Stats.percentile(sorted, 0.5)),
            ms(Stats.percentile(sorted, 0.99))));
      }
    } finally {
      slow.stop();
    }
  }

  // ---------------------------------------------------------------- 2. client processes

  private void clientProcesses() throws Exception {
    print("");
    print("## 2. Client processes against 2 servers");
    print("");
    print("2 server JVMs as above (" + WORKERS + " workers, " + HANDLER_MILLIS + " ms handler); " + mode.inFlight
        + " async calls in flight in all, spread evenly over the client JVMs (one RpcClient at its defaults each),"
        + " so the offered load is the same in every row. Each client's connection goes through a byte- and"
        + " frame-counting TCP proxy in this JVM.");
    print("");
    Broker broker = node == null ? null : new Broker(node, vhost());
    Broker.Counts baseline = null;
    String noBroker = "no --node, and the broker is not on localhost:5672";
    if (broker != null) {
      try {
        baseline = broker.counts();
      } catch (IOException | IllegalStateException | TimeoutException e) {
        noBroker = "rabbitmqctl did not answer: " + e.getMessage(); // not installed, or not allowed: the rest still runs
        broker = null;
      }
    }
    ClientRows rows = new ClientRows();
    for (int n : mode.clients) {
      clients(n, broker, baseline, rows);
    }
    print("| clients | calls/s | vs 1 client | p50 ms | p99 ms | idle B/min per client | idle frames/min per client"
        + " | of which not heartbeats | B per call | frames per call |");
    print("|---|---|---|---|---|---|---|---|---|---|");
    rows.load.forEach(this::print);
    print("");
    print("Under a backlog: " + mode.backlogInFlight + " calls in flight in all, so that calls wait in the queue over"
        + " the consumer probe's 0.5 s; passive queue.declare frames on the client connections over the whole step"
        + " (warm-up, window, drain):");
    print("");
    print("| clients | in flight | calls/s | p50 ms | p99 ms | passive declares/s, all clients | per client | per call |");
    print("|---|---|---|---|---|---|---|---|");
    rows.backlog.forEach(this::print);
    print("");
    print("The frames other than heartbeats in the idle windows, all clients together (to the broker / from it):");
    print("");
    print("| clients | methods |");
    print("|---|---|");
    rows.idleMethods.forEach(this::print);
    print("");
    print("What each client asked the broker for over its whole life (connect, " + ScalingClientMain.FIRST_CALLS
        + " first calls, idle, load, backlog), read from the AMQP frames on its connection (mean per client, [min-max]):");
    print("");
    print("| clients | channel.open | basic.consume | queue.declare (creates) | queue.declare (passive) | exchange.declare"
        + " | queue.bind |");
    print("|---|---|---|---|---|---|---|");
    rows.created.forEach(this::print);
    print("");
    if (broker == null) {
      print("The broker's own counts: not taken (" + noBroker.strip() + ").");
    } else {
      print("The broker's own counts while the clients idled (rabbitmqctl" + (node.isEmpty() ? "" : " -n " + node)
          + ", vhost " + vhost() + "), minus those before any client started, per client:");
      print("");
      print("| clients | queues | consumers | channels | connections |");
      print("|---|---|---|---|---|");
      rows.onBroker.forEach(this::print);
    }
  }

  /** The rows of the client-process part, filled one client count at a time. Not thread-safe. */
  private static final class ClientRows {
    final List<String> load = new ArrayList<>();
    final List<String> backlog = new ArrayList<>();
    final List<String> idleMethods = new ArrayList<>();
    final List<String> created = new ArrayList<>();
    final List<String> onBroker = new ArrayList<>();
    double one = Double.NaN;
  }

  /** {@code n} client JVMs: idle, load, backlog; their rows into {@code rows}. */
  private void clients(int n, Broker broker, Broker.Counts baseline, ClientRows rows) throws Exception {
    List<CountingProxy> proxies = new ArrayList<>();
    List<ChildJvm> clients = new ArrayList<>();
    try {
      startClients(n, proxies, clients);
      progress.step("scaling: " + n + " client JVM" + (n == 1 ? "" : "s") + " idle " + seconds(mode.idle) + " s");
      CountingProxy.Snapshot idleFrom = total(proxies);
      long idleStart = System.nanoTime();
      Broker.Counts counts = broker == null ? null : broker.counts();
      long rest = mode.idle.toNanos() - (System.nanoTime() - idleStart);
      if (rest > 0) {
        TimeUnit.NANOSECONDS.sleep(rest); // the idle window: nothing to wait for but time itself
      }
      CountingProxy.Snapshot idle = total(proxies).minus(idleFrom);
      double perMinute = 60e9 / (System.nanoTime() - idleStart) / n;

      progress.step("scaling: " + n + " client JVM" + (n == 1 ? "" : "s") + " load");
      CountingProxy.Snapshot loadFrom = total(proxies);
      ClosedLoop.Result result = load(clients, mode.inFlight, mode.warmUp);
      CountingProxy.Snapshot load = total(proxies).minus(loadFrom);
      long requests = Math.max(1, load.toBroker().method("basic.publish"));
      double rate = result.callsPerSecond();
      rows.one = Double.isNaN(rows.one) ? rate : rows.one;
      Stats stats = result.stats();
      rows.load.add(String.format(Locale.ROOT, "| %d | %.0f | %.2fx | %s | %s | %.0f | %.1f | %.1f | %.0f | %.2f |", n,
          rate, rate / rows.one, ms(stats.p50Nanos()), ms(stats.p99Nanos()), idle.bytes() * perMinute,
          idle.frames() * perMinute, (idle.frames() - idle.heartbeats()) * perMinute, (double) load.bytes() / requests,
          (double) load.frames() / requests));

      // A backlog: calls wait in the queue for over half a second, so every client's consumer probe asks.
      progress.step("scaling: " + n + " client JVM" + (n == 1 ? "" : "s") + " backlog");
      CountingProxy.Snapshot backlogFrom = total(proxies);
      long backlogStart = System.nanoTime();
      ClosedLoop.Result backlog = load(clients, mode.backlogInFlight, mode.warmUp);
      double backlogSeconds = (System.nanoTime() - backlogStart) / 1e9;
      CountingProxy.Snapshot during = total(proxies).minus(backlogFrom);
      long probes = during.toBroker().method("queue.declare (passive)");
      Stats backlogStats = backlog.stats();
      rows.backlog.add(String.format(Locale.ROOT, "| %d | %d | %.0f | %s | %s | %.1f | %.1f | %.2f |", n,
          mode.backlogInFlight, backlog.callsPerSecond(), ms(backlogStats.p50Nanos()), ms(backlogStats.p99Nanos()),
          probes / backlogSeconds, probes / backlogSeconds / n,
          (double) probes / Math.max(1, during.toBroker().method("basic.publish"))));
      rows.created.add(created(n, proxies));
      rows.idleMethods.add("| " + n + " | " + methods(idle) + " |");
      if (counts != null) {
        rows.onBroker.add(counts.perClient(n, baseline));
      }
    } finally {
      for (ChildJvm client : clients) {
        client.stop();
      }
      for (CountingProxy proxy : proxies) {
        proxy.close();
      }
    }
  }

  /** Runs a load on every client at once, {@code inFlight} spread evenly over them; their results merged. */
  private ClosedLoop.Result load(List<ChildJvm> clients, int inFlight, Duration warmUp) throws Exception {
    int each = Math.max(1, inFlight / clients.size());
    for (ChildJvm client : clients) {
      client.send("load " + each + " " + warmUp.toMillis() + " " + mode.window.toMillis() + " " + HANDLER_MILLIS);
    }
    Map<String, long[]> byServer = new TreeMap<>();
    for (ChildJvm client : clients) {
      ClosedLoop.Result part = ScalingClientMain.parse(client.awaitLine(ScalingClientMain.RESULT, RESULT_SECONDS,
          TimeUnit.SECONDS));
      part.latenciesByServer().forEach((server, values) -> byServer.merge(server, values, Scaling::concat));
    }
    return new ClosedLoop.Result(mode.window, byServer);
  }

  private void startClients(int n, List<CountingProxy> proxies, List<ChildJvm> clients) throws Exception {
    ExecutorService starter = Executors.newFixedThreadPool(Math.min(n, 4));
    try {
      List<Future<ChildJvm>> started = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        CountingProxy proxy = new CountingProxy(address.getHost(), port(address));
        proxies.add(proxy);
        String through = new URI(address.getScheme(), address.getUserInfo(), "127.0.0.1", proxy.port(),
            address.getPath(), address.getQuery(), null).toString();
        String id = "C" + i;
        started.add(starter.submit(() -> ChildJvm.start("scaling client " + id, ScalingClientMain.class, CLIENT_JVM,
            List.of(through, queue, id))));
      }
      Exception failure = null;
      for (Future<ChildJvm> future : started) {
        try {
          clients.add(future.get(RESULT_SECONDS, TimeUnit.SECONDS));
        } catch (Exception e) {
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      starter.shutdown();
    }
  }

  private static CountingProxy.Snapshot total(List<CountingProxy> proxies) {
    CountingProxy.Snapshot sum = CountingProxy.Snapshot.ZERO;
    for (CountingProxy proxy : proxies) {
      sum = sum.plus(proxy.snapshot());
    }
    return sum;
  }

  private static String methods(CountingProxy.Snapshot window) {
    String to = window.toBroker().methods().toString();
    String from = window.fromBroker().methods().toString();
    return to.equals("{}") && from.equals("{}") ? "none" : to + " / " + from;
  }

  private static String created(int n, List<CountingProxy> proxies) {
    StringBuilder row = new StringBuilder("| ").append(n).append(" |");
    for (String method : List.of("channel.open", "basic.consume", "queue.declare (creates)", "queue.declare (passive)",
        "exchange.declare", "queue.bind")) {
      long[] each = proxies.stream().mapToLong(p -> p.snapshot().toBroker().method(method)).toArray();
      row.append(String.format(Locale.ROOT, " %.1f [%d-%d] |", Arrays.stream(each).average().orElse(0),
          Arrays.stream(each).min().orElse(0), Arrays.stream(each).max().orElse(0)));
    }
    return row.toString();
  }

  private String vhost() {
    String path = address.getRawPath();
    return path == null || path.length() <= 1 ? "/" : URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- 3. one queue vs several

  private void queues(ConnectionFactory factory) throws Exception {
    print("");
    print("## 3. One queue vs several (instant handler)");
    print("");
    print("Per queue: its own server connection and client connection in this JVM, " + mode.inFlightPerQueue
        + " calls in flight. raw = RawClient (16 B body) against a tutorial-style echo (prefetch "
        + EndToEndBenchmark.TUTORIAL_PREFETCH + "); rabbit-rpc = an RpcServer at its defaults and an RpcClient's async"
        + " proxy. CPU: cores busy on average over the measured window (of the JVM: clients and servers together).");
    print("");
    print("| peer | queues | calls/s | vs 1 queue | per queue | p50 ms | p99 ms | CPU | broker µs per call |");
    print("|---|---|---|---|---|---|---|---|---|");
    for (String peer : List.of("raw", "rabbit-rpc")) {
      double one = Double.NaN;
      for (int n : mode.queues) {
        progress.step("scaling: " + peer + ", " + n + " queue" + (n == 1 ? "" : "s"));
        Cpu cpu = new Cpu(brokerCpu);
        ClosedLoop.Result result = peer.equals("raw") ? rawQueues(factory, n, cpu) : rpcQueues(n, cpu);
        double rate = result.callsPerSecond();
        one = Double.isNaN(one) ? rate : one;
        Stats stats = result.stats();
        print(String.format(Locale.ROOT, "| %s | %d | %.0f | %.2fx | %.0f | %s | %s | %s | %s |", peer, n, rate,
            rate / one, rate / n, ms(stats.p50Nanos()), ms(stats.p99Nanos()), cpu,
            micros(cpu.brokerMicrosPerCall(rate))));
      }
    }
    print("");
    print("One sharded service (`@RpcService(shards = N)`, queues `<queue>.0`..): one RpcServer serving every shard"
        + " (one connection, an intake channel per shard) and one RpcClient whose async proxy spreads the calls"
        + " round-robin, " + mode.inFlightPerQueue + " calls in flight per shard:");
    print("");
    print("| peer | shards | calls/s | vs 1 shard | per shard | p50 ms | p99 ms | CPU | broker µs per call |");
    print("|---|---|---|---|---|---|---|---|---|");
    double one = Double.NaN;
    for (int n : mode.queues) {
      progress.step("scaling: rabbit-rpc, " + n + " shard" + (n == 1 ? "" : "s") + " of one service");
      Cpu cpu = new Cpu(brokerCpu);
      ClosedLoop.Result result = rpcShards(n, cpu);
      double rate = result.callsPerSecond();
      one = Double.isNaN(one) ? rate : one;
      Stats stats = result.stats();
      print(String.format(Locale.ROOT, "| rabbit-rpc, sharded | %d | %.0f | %.2fx | %.0f | %s | %s | %s | %s |", n,
          rate, rate / one, rate / n, ms(stats.p50Nanos()), ms(stats.p99Nanos()), cpu,
          micros(cpu.brokerMicrosPerCall(rate))));
    }
  }

  /** One service over {@code n} shards (1 is an unsharded one): one server client, one client, one proxy. */
  private ClosedLoop.Result rpcShards(int n, Cpu cpu) throws Exception {
    String name = queue + ".sharded-" + n;
    try (RpcClient server = RpcClient.builder().uri(uri).connectionName("bench scaling sharded server").build();
        RpcClient client = RpcClient.builder().uri(uri).connectionName("bench scaling sharded client").build()) {
      ScalingService.Impl impl = new ScalingService.Impl("shards", 1);
      java.util.function.IntFunction<CompletableFuture<String>> call;
      RpcServer exported;
      switch (n) {
        case 1 -> {
          exported = server.export(ScalingService.class, impl, name);
          ScalingService proxy = client.proxy(ScalingService.class, name);
          call = proxy::work;
        }
        case 2 -> {
          exported = server.export(ScalingService.TwoShards.class, impl, name);
          ScalingService.TwoShards proxy = client.proxy(ScalingService.TwoShards.class, name);
          call = proxy::work;
        }
        case 4 -> {
          exported = server.export(ScalingService.FourShards.class, impl, name);
          ScalingService.FourShards proxy = client.proxy(ScalingService.FourShards.class, name);
          call = proxy::work;
        }
        default -> throw new IllegalArgumentException("no sharded service of " + n + " shards here");
      }
      try {
        return parallel(n, cpu, i -> () -> call.apply(0));
      } finally {
        exported.closeAndDeleteCreatedQueue(); // durable, so it would outlive the run
      }
    }
  }

  /** A loop per queue, all at once; their results merged (the window is the same for all). */
  private ClosedLoop.Result parallel(int n, Cpu cpu, IntFunction<Supplier<CompletableFuture<String>>> calls)
      throws Exception {
    ExecutorService loops = Executors.newFixedThreadPool(n);
    try {
      List<Future<ClosedLoop.Result>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Supplier<CompletableFuture<String>> call = calls.apply(i);
        ClosedLoop loop = i == 0 ? cpu.loop() : new ClosedLoop(); // the loops' windows coincide
        futures.add(loops.submit(() -> loop.run(call, mode.inFlightPerQueue, mode.warmUp, mode.window)));
      }
      Map<String, long[]> merged = new TreeMap<>();
      for (Future<ClosedLoop.Result> future : futures) {
        future.get(RESULT_SECONDS, TimeUnit.SECONDS).latenciesByServer()
            .forEach((server, values) -> merged.merge(server, values, Scaling::concat));
      }
      return new ClosedLoop.Result(mode.window, merged);
    } finally {
      loops.shutdown();
    }
  }

  private ClosedLoop.Result rawQueues(ConnectionFactory factory, int n, Cpu cpu) throws Exception {
    List<Connection> connections = new ArrayList<>();
    try {
      List<RawClient> clients = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Connection serverConnection = factory.newConnection("bench scaling raw server " + i);
        connections.add(serverConnection);
        RawEchoServer server = new RawEchoServer(serverConnection, queue + ".raw-" + i,
            EndToEndBenchmark.TUTORIAL_PREFETCH);
        Connection clientConnection = factory.newConnection("bench scaling raw client " + i);
        connections.add(clientConnection);
        clients.add(new RawClient(clientConnection, server.queue()));
      }
      byte[] body = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
      return parallel(n, cpu, i -> () -> {
        try {
          return clients.get(i).send(body).thenApply(reply -> "Q" + i);
        } catch (IOException e) {
          return CompletableFuture.failedFuture(e);
        }
      });
    } finally {
      for (Connection connection : connections) {
        connection.close();
      }
    }
  }

  private ClosedLoop.Result rpcQueues(int n, Cpu cpu) throws Exception {
    List<RpcClient> clients = new ArrayList<>();
    List<RpcServer> exported = new ArrayList<>();
    try {
      List<ScalingService> proxies = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        RpcClient server = RpcClient.builder().uri(uri).connectionName("bench scaling rpc server " + i).build();
        clients.add(server);
        String name = queue + ".rpc-" + i;
        exported.add(server.export(ScalingService.class, new ScalingService.Impl("Q" + i, 1), name));
        RpcClient client = RpcClient.builder().uri(uri).connectionName("bench scaling rpc client " + i).build();
        clients.add(client);
        proxies.add(client.proxy(ScalingService.class, name));
      }
      return parallel(n, cpu, i -> () -> proxies.get(i).work(0));
    } finally {
      for (RpcServer server : exported) {
        server.closeAndDeleteCreatedQueue(); // durable, so it would outlive the run
      }
      for (RpcClient client : clients) {
        client.close();
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static long[] concat(long[] a, long[] b) {
    long[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  private static String perServer(ClosedLoop.Result result) {
    StringBuilder text = new StringBuilder();
    result.latenciesByServer().forEach((server, values) -> text.append(text.length() == 0 ? "" : ", ")
        .append(server).append(' ').append(values.length));
    return text.toString();
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }

  private static String micros(double value) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.0f", value);
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.1f", duration.toMillis() / 1000.0);
  }

  private static String load() {
    return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  private void print(String line) {
    out.println(line);
    report.append(line).append('\n');
  }

  /**
   * CPU of this JVM and of the local broker over a loop's measured window, in cores busy: started
   * and stopped by the loop itself as the window opens and closes. Not thread-safe.
   */
  private static final class Cpu {
    private static final double TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux
    private final BrokerCpu broker;
    private long wallStart;
    private long processStart;
    private long brokerStart;
    private double jvmCores = Double.NaN;
    private double brokerCores = Double.NaN;

    Cpu(BrokerCpu broker) {
      this.broker = broker;
    }

    /** A loop whose window this measures. */
    ClosedLoop loop() {
      return new ClosedLoop(this::start, this::stop);
    }

    private void start() {
      wallStart = System.nanoTime();
      processStart = processCpu();
      brokerStart = broker == null ? -1 : broker.ticks();
    }

    private void stop() {
      double wall = (System.nanoTime() - wallStart) / 1e9;
      jvmCores = (processCpu() - processStart) / 1e9 / wall;
      long ticks = broker == null ? -1 : broker.ticks();
      brokerCores = ticks < 0 || brokerStart < 0 ? Double.NaN : (ticks - brokerStart) / TICKS_PER_SECOND / wall;
    }

    /** The broker's CPU per call at {@code callsPerSecond}, µs, or NaN if not readable. */
    double brokerMicrosPerCall(double callsPerSecond) {
      return brokerCores / callsPerSecond * 1e6;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "this JVM %.2f", jvmCores)
          + (Double.isNaN(brokerCores) ? " cores" : String.format(Locale.ROOT, ", broker %.2f cores", brokerCores));
    }

    private static long processCpu() {
      return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }

  /** The broker's own counts of a vhost's objects, from {@code rabbitmqctl} on this machine. */
  private record Broker(String node, String vhost) {
    record Counts(long queues, long consumers, long channels, long connections) {
      String perClient(int clients, Counts before) {
        return String.format(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.2f |", clients,
            (queues - before.queues) / (double) clients, (consumers - before.consumers) / (double) clients,
            (channels - before.channels) / (double) clients, (connections - before.connections) / (double) clients);
      }
    }

    Counts counts() throws Exception {
      return new Counts(lines("list_queues", "name"), lines("list_consumers", "queue_name"),
          lines("list_channels", "pid"), lines("list_connections", "pid"));
    }

    private long lines(String command, String column) throws Exception {
      List<String> args = new ArrayList<>(List.of("rabbitmqctl", "-s"));
      if (!node.isEmpty()) {
        args.addAll(List.of("-n", node));
      }
      args.add(command);
      if (!command.equals("list_channels") && !command.equals("list_connections")) {
        args.addAll(List.of("-p", vhost));
      }
      args.add(column);
      Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new TimeoutException(String.join(" ", args) + " took over 60 s");
      }
      String text = output.get(10, TimeUnit.SECONDS);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", args) + " failed: " + text);
      }
      return text.lines().filter(line -> !line.isBlank()).count();
    }
  }
}
