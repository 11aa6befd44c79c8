package dev.rabbitrpc.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.tools.jsonrpc.JacksonJsonRpcMapper;
import com.rabbitmq.tools.jsonrpc.JsonRpcServer;
import dev.rabbitrpc.benchmarks.Peers.AsyncCaller;
import dev.rabbitrpc.benchmarks.Peers.AsyncPeer;
import dev.rabbitrpc.benchmarks.Peers.SyncCaller;
import dev.rabbitrpc.benchmarks.Peers.SyncPeer;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The end-to-end harness: in one JVM and one run, against one broker and with the same payloads,
 * it measures
 *
 * <ul>
 *   <li>raw amqp-client written by hand ({@link RawClient} against {@link RawEchoServer});
 *   <li>the same raw client against rabbit-rpc's server (same JSON bytes, to split client and server cost);
 *   <li>amqp-client's {@code JsonRpcClient} proxy against its {@code JsonRpcServer};
 *   <li>Spring AMQP's {@code RabbitTemplate} against a Spring listener container ({@link SpringRpc});
 *   <li>rabbit-rpc's blocking proxy and its {@code CompletableFuture} proxy, pipelined, against {@link RpcServer};
 *   <li>at 16 B, rabbit-rpc's blocking proxy with rpc-micrometer's observations on client and server, with
 *       timers and (with {@code --traced}) with timers and OpenTelemetry spans ({@link ObservedPeers}): the cost
 *       of observation;
 * </ul>
 *
 * <p>at 1 and 32 calling threads and with 256 calls in flight, for payloads of 16 B, 1 KiB, 64 KiB and
 * 1 MiB; then the first call in a new JVM and the heap held per call in flight. It prints p50, p99,
 * calls/s and each peer's ratio to raw, and checks the targets of docs/BENCHMARKS.md; then it renders
 * the same figures as PNG charts ({@link Charts}) into {@code --charts DIR} (default: {@code charts}
 * beside the {@code --out} report, else {@code rpc-benchmarks/target/charts}). As it goes it prints
 * one progress line per step (warm-up, round, probe) on standard error; the report goes to standard
 * output.
 *
 * <pre>
 * java -jar rpc-benchmarks/target/rabbit-rpc-benchmarks.jar [--quick | --smoke] [--uri amqp://…] [--out report.md]
 *     [--charts DIR] [--payloads 16,1024,65536,1048576] [--no-probes] [--traced] [--no-streaming | --streaming-only]
 * </pre>
 *
 * <p>{@code --payloads} and {@code --no-probes} (no first-call and heap probes) narrow a run down for
 * profiling; {@code --traced} adds the observed peer with OpenTelemetry spans too (left out by
 * default, to keep a run's length). The streaming scenario ({@link Streaming}) runs after the fairness one;
 * {@code --no-streaming} leaves it out, {@code --streaming-only} runs it alone.
 *
 * <p>The broker is {@code --uri}, else {@code RPC_AMQP_URI}, else {@code amqp://guest:guest@localhost:5672}.
 * {@code --smoke} makes a handful of calls of each kind and checks nothing about time: it proves the
 * harness works (CI runs it).
 *
 * <p>Not thread-safe: one run at a time per instance; {@link #main} is the entry point.
 */
public final class EndToEndBenchmark {
  static final long CALL_TIMEOUT_MILLIS = 30_000;
  private static final long PHASE_TIMEOUT_MINUTES = 10;
  private static final int KIB = 1024;
  /** Interleaved rounds per scenario. */
  private static final int ROUNDS = 5;
  /** The tutorial-style server's prefetch: in the range RabbitMQ's guidance gives for throughput. */
  static final int TUTORIAL_PREFETCH = 100;
  static final String TUTORIAL = "tutorial (prefetch " + TUTORIAL_PREFETCH + ")";
  static final String TUTORIAL_PIPELINED = "raw pipelined -> tutorial";
  static final String CBOR = "rabbit-rpc sync (CBOR)";
  /** Issue 25's warm-up measure: the first this many calls of a new JVM. */
  static final int FIRST_CALLS = 5_000;

  /** How much to run. */
  enum Mode {
    SMOKE(0.01, new int[] {1, 4}, 300, 1, 1_000, 0, 4, 10, 20),
    QUICK(1, new int[] {1, 32}, 6_000, 3, 10_000, 4_000, 32, 200, FIRST_CALLS),
    FULL(5, new int[] {1, 32}, 50_000, 7, 10_000, 20_000, 32, 1_000, FIRST_CALLS);

    final double scale;
    final int[] threads;
    final int asyncCalls;
    final int firstCallRuns;
    final int heapCalls;
    final int jitWarmupCalls;
    final int fairnessThreads;
    final int fairnessCallsPerThread;
    /** Sequential calls each first-call probe makes in its new JVM, the first included: a new process's warm-up. */
    final int firstCalls;

    Mode(double scale, int[] threads, int asyncCalls, int firstCallRuns, int heapCalls, int jitWarmupCalls,
        int fairnessThreads, int fairnessCallsPerThread, int firstCalls) {
      this.firstCalls = firstCalls;
      this.jitWarmupCalls = jitWarmupCalls;
      this.fairnessThreads = fairnessThreads;
      this.fairnessCallsPerThread = fairnessCallsPerThread;
      this.scale = scale;
      this.threads = threads;
      this.asyncCalls = asyncCalls;
      this.firstCallRuns = firstCallRuns;
      this.heapCalls = heapCalls;
    }

    /** Measured sequential calls for a payload size; warm-up is half as many again. */
    int sequentialCalls(int size) {
      int base = size <= KIB ? 2_000 : size <= 64 * KIB ? 200 : 25;
      return Math.max(3, (int) (base * scale));
    }
  }

  private final Mode mode;
  private final int[] payloads;
  private final boolean probes;
  /** Whether the observed + traced peer runs too ({@code --traced}). */
  private final boolean traced;
  /** Which parts run: {@code --no-streaming} leaves the streaming scenario out, {@code --streaming-only} all else. */
  private final boolean streaming;
  private final boolean streamingOnly;
  private final String uri;
  private final PrintStream out;
  private final ObjectMapper mapper = JsonMapper.builder().build();
  private final List<String> rows = new ArrayList<>();
  private final Map<String, Double> figures = new LinkedHashMap<>();
  /** What the charts draw: the rows and targets as printed. */
  private final List<RunSummary.Row> chartRows = new ArrayList<>();
  private final List<RunSummary.Target> chartTargets = new ArrayList<>();
  private final Instant started = Instant.now();
  private String broker = "broker unknown";
  private final Progress progress;

  private EndToEndBenchmark(Mode mode, String uri, PrintStream out, int[] payloads, boolean probes, boolean traced,
      boolean streaming, boolean streamingOnly, PrintStream progress) {
    this.mode = mode;
    this.streaming = streaming;
    this.streamingOnly = streamingOnly;
    this.traced = traced;
    this.payloads = payloads;
    this.probes = probes;
    this.uri = uri;
    this.out = out;
    this.progress = new Progress(progress);
  }

  /** Runs the harness; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  /** Runs the harness and returns the process exit code (0, or 2 for bad arguments); progress goes to stderr. */
  static int run(String[] args, PrintStream out) throws Exception {
    return run(args, out, System.err);
  }

  /** As {@link #run(String[], PrintStream)}, with the progress lines on {@code progress}. */
  static int run(String[] args, PrintStream out, PrintStream progress) throws Exception {
    Mode mode = Mode.FULL;
    String uri = System.getenv("RPC_AMQP_URI");
    Path report = null;
    Path charts = null;
    int[] payloads = {16, KIB, 64 * KIB, KIB * KIB};
    boolean probes = true;
    boolean traced = false;
    boolean streaming = true;
    boolean streamingOnly = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> mode = Mode.QUICK;
        case "--smoke" -> mode = Mode.SMOKE;
        case "--uri" -> uri = value(args, ++i);
        case "--out" -> report = Path.of(value(args, ++i));
        case "--charts" -> charts = Path.of(value(args, ++i));
        case "--payloads" -> payloads = Arrays.stream(value(args, ++i).split(",")).mapToInt(Integer::parseInt).toArray();
        case "--no-probes" -> probes = false;
        case "--traced" -> traced = true;
        case "--no-streaming" -> streaming = false;
        case "--streaming-only" -> streamingOnly = true;
        default -> {
          System.err.println("usage: [--quick | --smoke] [--uri amqp://…] [--out report.md] [--charts DIR]"
              + " [--payloads 16,1024,…] [--no-probes] [--traced] [--no-streaming | --streaming-only]; unknown: " + args[i]);
          return 2;
        }
      }
    }
    if (uri == null || uri.isBlank()) {
      uri = "amqp://guest:guest@localhost:5672";
    }
    if (charts == null) {
      Path beside = report == null ? null : report.toAbsolutePath().getParent();
      charts = beside == null ? Path.of("rpc-benchmarks", "target", "charts") : beside.resolve("charts");
    }
    if (!streaming && streamingOnly) {
      System.err.println("--no-streaming and --streaming-only exclude each other");
      return 2;
    }
    EndToEndBenchmark benchmark = new EndToEndBenchmark(mode, uri, out, payloads, probes, traced, streaming, streamingOnly,
        progress);
    benchmark.runAll(report, charts);
    return 0;
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private ConnectionFactory factory(String threadPrefix) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    AtomicInteger count = new AtomicInteger();
    // Named threads let the harness count what the client's own threads allocate.
    factory.setThreadFactory(task -> {
      Thread thread = new Thread(task, threadPrefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    return factory;
  }

  /**
   * The server's prefetch as {@code -Dbench.prefetch} sets it; else left unset, so that rabbit-rpc's
   * servers run at their default, adaptive prefetch (setting it, even to the default's start,
   * fixes it).
   */
  private static RpcClient.Builder prefetchIfSet(RpcClient.Builder builder) {
    Integer prefetch = Integer.getInteger("bench.prefetch");
    return prefetch == null ? builder : builder.prefetch(prefetch);
  }

  /** Runs everything; the report is printed (and written), and the charts written, before the connections close. */
  private void runAll(Path reportFile, Path chartsDir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String rawQueue = "rabbit-rpc-bench.raw-" + suffix;
    String jsonRpcQueue = "rabbit-rpc-bench.jsonrpc-" + suffix;
    String springQueue = "rabbit-rpc-bench.spring-" + suffix;
    String echoQueue = "rabbit-rpc-bench.echo-" + suffix;
    String parkedQueue = "rabbit-rpc-bench.parked-" + suffix;
    String tutorialQueue = "rabbit-rpc-bench.tutorial-" + suffix;
    String meteredQueue = "rabbit-rpc-bench.metered-" + suffix;
    String tracedQueue = "rabbit-rpc-bench.traced-" + suffix;
    // rabbit-rpc's defaults unless overridden (-Dbench.workers, -Dbench.prefetch, -Dbench.channels);
    // the raw echo holds as many unacknowledged requests as rabbit-rpc's server at its fair prefetch
    // (or the one set). The defaults as RpcClient.Builder has them: workers max(8, 2 x processors),
    // prefetch adaptive from the workers up (FlowControl: 8 x once handlers show short).
    int workers = Integer.getInteger("bench.workers", Math.max(8, 2 * Runtime.getRuntime().availableProcessors()));
    int prefetch = Integer.getInteger("bench.prefetch", workers);
    int channels = Integer.getInteger("bench.channels", 1);
    StringBuilder report = new StringBuilder();

    try (Connection servers = factory("bench-server-").newConnection("bench servers");
        Connection rawClients = factory("bench-client-raw-").newConnection("bench raw clients");
        Connection jsonRpcClients = factory("bench-client-jsonrpc-").newConnection("bench JsonRpcClient");
        RawEchoServer rawServer = new RawEchoServer(servers, rawQueue, prefetch);
        // The user's baseline: tutorial 6's server as one would write it, with a throughput prefetch.
        RawEchoServer tutorialServer = new RawEchoServer(servers, tutorialQueue, TUTORIAL_PREFETCH);
        // As many consumers and unacknowledged requests as rabbit-rpc's server (prefetch in all, as raw).
        SpringRpc.Server springServer = new SpringRpc.Server(servers, factory("bench-server-spring-"), springQueue,
            workers, Math.max(1, prefetch / workers));
        SpringRpc.Client springClient = new SpringRpc.Client(factory("bench-client-spring-"));
        RpcClient rpcServers = prefetchIfSet(RpcClient.builder().connectionFactory(factory("bench-server-rpc-"))
            .workers(workers)).connectionName("bench rabbit-rpc server").build();
        // -Dbench.deliveryThread=true: ServerBuilder.runOnDeliveryThread (the echo never blocks).
        RpcServer rpcServer = rpcServers.server(EchoService.class, new EchoService.Impl()).queue(echoQueue)
            .runOnDeliveryThread(Boolean.getBoolean("bench.deliveryThread")).export();
        RpcClient rpcClient = RpcClient.builder().connectionFactory(factory("bench-client-rpc-"))
            .channels(channels).connectionName("bench rabbit-rpc client").build();
        // The binary content type, for the big payloads: byte[] as CBOR byte strings, no base64.
        RpcClient cborClient = RpcClient.builder().connectionFactory(factory("bench-client-cbor-"))
            .channels(channels).encoding(dev.rabbitrpc.api.Encoding.CBOR)
            .connectionName("bench rabbit-rpc CBOR client").build();
        // rabbit-rpc with rpc-micrometer's observations on (timers; timers and spans), each with a server of its own.
        ObservedPeers observed = new ObservedPeers()) {
      Channel jsonRpcChannel = servers.createChannel();
      jsonRpcChannel.queueDeclare(jsonRpcQueue, false, true, true, null); // exclusive: consumed on this connection
      JsonRpcServer jsonRpcServer = new JsonRpcServer(jsonRpcChannel, jsonRpcQueue, JsonRpcEcho.class,
          (JsonRpcEcho) payload -> payload, new JacksonJsonRpcMapper());
      Thread jsonRpcLoop = new Thread(() -> {
        try {
          jsonRpcServer.mainloop();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, "bench-server-jsonrpc-mainloop");
      jsonRpcLoop.setDaemon(true);
      jsonRpcLoop.start();
      try {
        report.append(header(servers, workers, prefetch, channels));
        out.print(report);
        EchoService proxy = rpcClient.proxy(EchoService.class, echoQueue);
        EchoService cborProxy = cborClient.proxy(EchoService.class, echoQueue);
        EchoService meteredProxy = observed.start(ObservedPeers.METERED, prefetchIfSet(RpcClient.builder()
            .connectionFactory(factory("bench-server-metered-")).workers(workers)),
            RpcClient.builder()
            .connectionFactory(factory("bench-client-metered-")).channels(channels), meteredQueue);
        EchoService tracedProxy = !traced ? null : observed.start(ObservedPeers.TRACED, prefetchIfSet(RpcClient.builder()
            .connectionFactory(factory("bench-server-traced-")).workers(workers)),
            RpcClient.builder()
            .connectionFactory(factory("bench-client-traced-")).channels(channels), tracedQueue);
        String rawEcho = rawServer.queue();
        PeerSet peerSet = size -> {
          byte[] body = Peers.requestBody(mapper, Payload.ofSize(size));
          byte[] result = mapper.writeValueAsBytes(Payload.ofSize(size));
          List<SyncPeer> sync = new ArrayList<>(List.of(
              Peers.raw("raw", rawClients, rawEcho, body, "bench-client-raw-"),
              Peers.raw(TUTORIAL, rawClients, tutorialServer.queue(), body, "bench-client-raw-"),
              Peers.raw("raw -> rabbit-rpc server", rawClients, rpcServer.queue(), body, result, "bench-client-raw-",
                  true),
              Peers.jsonRpc(jsonRpcClients, jsonRpcQueue, "bench-client-jsonrpc-"),
              Peers.rabbitTemplate(springClient.template(), springServer.queue(), "bench-client-spring-"),
              Peers.rpcSync(proxy, "bench-client-rpc-")));
          if (size >= 64 * KIB) {
            sync.add(Peers.rpcSync(CBOR, cborProxy, "bench-client-cbor-"));
          }
          if (size == 16) {
            // What rabbit-rpc's message properties alone cost (broker and amqp-client), with no library code.
            sync.add(Peers.raw("raw + rabbit-rpc properties", rawClients, rawEcho, body, body, "bench-client-raw-", true));
            // What observation costs: the same calls with rpc-micrometer's interceptors on client and server.
            sync.add(Peers.rpcSync(ObservedPeers.METERED, meteredProxy, "bench-client-metered-"));
            if (traced) {
              sync.add(Peers.rpcSync(ObservedPeers.TRACED, tracedProxy, "bench-client-traced-"));
            }
          }
          return sync;
        };
        AsyncPeerSet asyncSet = body -> List.of(
            Peers.rawPipelined("raw pipelined", rawClients, rawEcho, body),
            Peers.rawPipelined(TUTORIAL_PIPELINED, rawClients, tutorialServer.queue(), body),
            Peers.rpcAsync(proxy));
        progress.plan((streamingOnly ? 0 : plannedSteps(peerSet, asyncSet) + fairnessPairs(workers, prefetch).size())
            + (streaming ? Streaming.plannedSteps() : 0));
        if (mode.jitWarmupCalls > 0 && !streamingOnly) {
          // Library code has far more to compile than the raw peer: let the JIT finish before measuring.
          Payload small = Payload.ofSize(16);
          for (SyncPeer peer : peerSet.at(16)) {
            progress.step("JIT warm-up 16 B " + peer.name());
            warmUp(peer, small, mode.jitWarmupCalls);
          }
          byte[] smallBody = Peers.requestBody(mapper, small);
          for (AsyncPeer peer : asyncSet.at(smallBody)) {
            progress.step("JIT warm-up 16 B " + peer.name());
            try (AsyncCaller caller = peer.newCaller(small)) {
              pump(caller, 256, mode.jitWarmupCalls, null);
            }
          }
        }
        for (int size : streamingOnly ? new int[0] : payloads) {
          Payload payload = Payload.ofSize(size);
          byte[] body = Peers.requestBody(mapper, payload);
          List<SyncPeer> peers = peerSet.at(size);
          for (int threads : mode.threads) {
            if (threads > 1 && !concurrentAt(size)) {
              continue; // many threads with big payloads measure the broker's memory, not the client
            }
            String scenario = threads == 1 ? "sequential" : threads + " threads";
            int calls = mode.sequentialCalls(size) * (threads == 1 ? 1 : Math.max(1, threads / 8));
            runSyncScenario(scenario, size, peers, payload, threads, calls);
          }
          if (concurrentAt(size)) {
            runAsyncScenario("256 in flight", size, asyncSet.at(body), payload, 256, mode.asyncCalls);
          }
        }
        if (!streamingOnly) {
          fairness(workers, prefetch);
        }
        if (streaming) {
          streaming();
        }
        if (probes && !streamingOnly) {
          firstCall(rawQueue, echoQueue);
          heapPerCall(rawClients, parkedQueue);
        }
        String results = results();
        out.print(results);
        if (reportFile != null) {
          Files.writeString(reportFile, report.append(results), StandardCharsets.UTF_8);
        }
        List<Path> charts = streamingOnly ? List.of()
            : Charts.render(new RunSummary(mode.name().toLowerCase(Locale.ROOT), started,
                Runtime.getRuntime().availableProcessors(), broker, chartRows, chartTargets), chartsDir);
        progress.note(charts.size() + " charts in " + chartsDir.toAbsolutePath().normalize());
      } finally {
        rpcServer.closeAndDeleteCreatedQueue(); // durable, so it would outlive the run
        jsonRpcServer.terminateMainloop();
        jsonRpcLoop.join(TimeUnit.SECONDS.toMillis(10));
        if (jsonRpcChannel.isOpen()) {
          jsonRpcChannel.close();
        }
      }
    }
  }

  private String header(Connection connection, int workers, int prefetch, int channels) {
    Object version = connection.getServerProperties().get("version");
    broker = "RabbitMQ " + version;
    StringBuilder text = new StringBuilder();
    text.append("# rabbit-rpc end-to-end benchmark (").append(mode.name().toLowerCase(Locale.ROOT)).append(")\n\n");
    text.append("- date: ").append(started).append('\n');
    text.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
        .append(System.getProperty("java.runtime.version")).append('\n');
    text.append("- cores: ").append(Runtime.getRuntime().availableProcessors())
        .append(", load average at start: ")
        .append(String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
        .append('\n');
    text.append("- broker: RabbitMQ ").append(version).append(" at ").append(connection.getAddress().getHostAddress())
        .append(':').append(connection.getPort()).append('\n');
    text.append("- servers: tutorial = hand-written echo (consumer callback replies, prefetch ").append(TUTORIAL_PREFETCH)
        .append("); raw = the same with prefetch ").append(prefetch)
        .append("); JsonRpcClient = amqp-client JsonRpcServer (one mainloop thread); rabbit-rpc = RpcServer (")
        .append(workers).append(" workers, prefetch ")
        .append(Integer.getInteger("bench.prefetch") != null ? Integer.toString(prefetch)
            : "adaptive " + prefetch + " to " + prefetch * 8)
        .append("); RabbitTemplate = Spring SimpleMessageListenerContainer + MessageListenerAdapter (")
        .append(workers).append(" consumers, prefetch ").append(Math.max(1, prefetch / workers)).append(" each)\n");
    text.append("- rabbit-rpc client: ").append(channels).append(channels == 1 ? " call channel\n" : " call channels\n");
    text.append("- RabbitTemplate client: spring-rabbit ").append(SpringRpc.version())
        .append(", one shared template, direct reply-to, Jackson2JsonMessageConverter, CachingConnectionFactory\n\n");
    return text.toString();
  }

  // ---------------------------------------------------------------- sync and async scenarios

  /** The blocking peers for one payload size. */
  private interface PeerSet {
    List<SyncPeer> at(int size) throws Exception;
  }

  /** The pipelining peers for one request body. */
  private interface AsyncPeerSet {
    List<AsyncPeer> at(byte[] body) throws Exception;
  }

  /** Whether a payload size is measured with many threads and with calls in flight, not only sequentially. */
  private boolean concurrentAt(int size) {
    return size <= (mode == Mode.SMOKE ? 16 : KIB);
  }

  /**
   * The progress steps {@link #runAll} takes, as its loops do: a step per JIT warm-up, per peer's
   * warm-up and round in each scenario, per first-call probe and per heap probe (the fairness
   * scenario's are counted apart).
   */
  private int plannedSteps(PeerSet peerSet, AsyncPeerSet asyncSet) throws Exception {
    int asyncPeers = asyncSet.at(new byte[0]).size();
    int steps = mode.jitWarmupCalls > 0 ? peerSet.at(16).size() + asyncPeers : 0;
    for (int size : payloads) {
      for (int threads : mode.threads) {
        if (threads == 1 || concurrentAt(size)) {
          steps += peerSet.at(size).size() * (1 + ROUNDS);
        }
      }
      if (concurrentAt(size)) {
        steps += asyncPeers * (1 + ROUNDS);
      }
    }
    return steps + (probes ? 2 * mode.firstCallRuns + 2 : 0);
  }

  /** {@code calls} calls on four threads, measuring nothing. */
  private void warmUp(SyncPeer peer, Payload payload, int calls) throws Exception {
    SyncCaller[] callers = new SyncCaller[4];
    try {
      for (int t = 0; t < callers.length; t++) {
        callers[t] = peer.newCaller(payload);
      }
      runSyncRound(peer, callers, calls / callers.length);
    } finally {
      for (SyncCaller caller : callers) {
        if (caller != null) {
          caller.close();
        }
      }
    }
  }

  /**
   * Measures every peer in {@link #ROUNDS} interleaved rounds (the first peer of a round rotates), so
   * that load from other processes drifting over the run hits every peer alike.
   */
  private void runSyncScenario(String scenario, int size, List<SyncPeer> peers, Payload payload, int threads,
      int calls) throws Exception {
    int perThread = Math.max(1, calls / threads / ROUNDS);
    List<SyncCaller[]> callers = new ArrayList<>();
    try {
      for (SyncPeer peer : peers) {
        progress.step(scenario + " " + sizeName(size) + " " + peer.name() + " warm-up");
        SyncCaller[] mine = new SyncCaller[threads];
        callers.add(mine);
        for (int t = 0; t < threads; t++) {
          mine[t] = peer.newCaller(payload);
        }
        runSyncRound(peer, mine, Math.max(1, perThread * ROUNDS / 2)); // warm-up
      }
      Sample[] samples = new Sample[peers.size()];
      for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < peers.size(); i++) {
          int p = (i + round) % peers.size();
          progress.step(scenario + " " + sizeName(size) + " " + peers.get(p).name() + " round " + (round + 1) + "/"
              + ROUNDS);
          Sample sample = runSyncRound(peers.get(p), callers.get(p), perThread);
          samples[p] = samples[p] == null ? sample : samples[p].plus(sample);
        }
      }
      for (int p = 0; p < peers.size(); p++) {
        row(scenario, size, peers.get(p).name(), samples[p].stats(), samples[0].stats(), samples[1].stats());
      }
    } finally {
      for (SyncCaller[] mine : callers) {
        for (SyncCaller caller : mine) {
          if (caller != null) {
            caller.close();
          }
        }
      }
    }
  }

  private void runAsyncScenario(String scenario, int size, List<AsyncPeer> peers, Payload payload, int inFlight,
      int calls) throws Exception {
    List<AsyncCaller> callers = new ArrayList<>();
    try {
      for (AsyncPeer peer : peers) {
        progress.step(scenario + " " + sizeName(size) + " " + peer.name() + " warm-up");
        AsyncCaller caller = peer.newCaller(payload);
        callers.add(caller);
        pump(caller, inFlight, calls / 4, null);
      }
      Sample[] samples = new Sample[peers.size()];
      for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < peers.size(); i++) {
          int p = (i + round) % peers.size();
          progress.step(scenario + " " + sizeName(size) + " " + peers.get(p).name() + " round " + (round + 1) + "/"
              + ROUNDS);
          long[] latencies = new long[calls / ROUNDS];
          long start = System.nanoTime();
          pump(callers.get(p), inFlight, latencies.length, latencies);
          Sample sample = new Sample(latencies, System.nanoTime() - start, null);
          samples[p] = samples[p] == null ? sample : samples[p].plus(sample);
        }
      }
      for (int p = 0; p < peers.size(); p++) {
        row(scenario, size, peers.get(p).name(), samples[p].stats(), samples[0].stats(), samples[1].stats());
      }
    } finally {
      for (AsyncCaller caller : callers) {
        caller.close();
      }
    }
  }

  /**
   * Latencies, wall time and (for one thread) what the client's threads used, over one or more
   * rounds of one peer; {@code client} is null when not measured.
   */
  private record Sample(long[] latencies, long wallNanos, Allocation.Usage client) {
    Sample plus(Sample other) {
      long[] all = Arrays.copyOf(latencies, latencies.length + other.latencies.length);
      System.arraycopy(other.latencies, 0, all, latencies.length, other.latencies.length);
      return new Sample(all, wallNanos + other.wallNanos,
          client == null || other.client == null ? null : client.plus(other.client));
    }

    Stats stats() {
      return Stats.of(latencies, wallNanos, client);
    }
  }

  /** Runs {@code calls} calls with at most {@code inFlight} outstanding. */
  static void pump(AsyncCaller caller, int inFlight, int calls, long[] latencies) throws Exception {
    Semaphore permits = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(calls);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < calls && failure.get() == null; i++) {
      if (!permits.tryAcquire(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new TimeoutException("no reply within " + CALL_TIMEOUT_MILLIS + " ms");
      }
      int index = i;
      long start = System.nanoTime();
      caller.start().whenComplete((value, error) -> {
        if (latencies != null) {
          latencies[index] = System.nanoTime() - start;
        }
        if (error != null) {
          failure.compareAndSet(null, error);
        }
        permits.release();
        done.countDown();
      });
    }
    if (failure.get() == null && !done.await(PHASE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      throw new TimeoutException("pipelined calls did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a pipelined call failed", failure.get());
    }
  }

  /** Each caller on its own thread makes {@code perThread} calls; measured from a common start. */
  private Sample runSyncRound(SyncPeer peer, SyncCaller[] callers, int perThread) throws Exception {
    int threads = callers.length;
    long[][] latencies = new long[threads][perThread];
    Allocation.Usage[] callerUsage = new Allocation.Usage[threads];
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      SyncCaller caller = callers[t];
      long[] mine = latencies[t];
      int index = t;
      Thread worker = new Thread(() -> {
        try {
          ready.countDown();
          if (!go.await(PHASE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            throw new TimeoutException("never started");
          }
          Allocation.Usage used = Allocation.ofCurrentThread();
          for (int i = 0; i < mine.length; i++) {
            long start = System.nanoTime();
            caller.call();
            mine[i] = System.nanoTime() - start;
          }
          callerUsage[index] = Allocation.ofCurrentThread().minus(used);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          done.countDown();
        }
      }, "bench-caller-" + t);
      worker.start();
    }
    if (!ready.await(PHASE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      throw new TimeoutException(peer.name() + ": callers did not start");
    }
    boolean measureAllocation = threads == 1;
    Allocation.Usage clientBefore = measureAllocation ? Allocation.ofThreads(peer.threadPrefix()) : null;
    long start = System.nanoTime();
    go.countDown();
    if (!done.await(PHASE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      throw new TimeoutException(peer.name() + ": calls did not finish");
    }
    long wall = System.nanoTime() - start;
    if (failure.get() != null) {
      throw new IllegalStateException(peer.name() + " failed", failure.get());
    }
    Allocation.Usage client = measureAllocation
        ? Allocation.ofThreads(peer.threadPrefix()).minus(clientBefore).plus(callerUsage[0])
        : null;
    return new Sample(Arrays.stream(latencies).flatMapToLong(Arrays::stream).toArray(), wall, client);
  }

  /** One result; ratios to the same-shape raw peer and to the tutorial-style peer of the same scenario. */
  private void row(String scenario, int size, String peer, Stats stats, Stats raw, Stats tutorial) {
    double p50Ratio = (double) stats.p50Nanos() / raw.p50Nanos();
    double throughputRatio = stats.callsPerSecond() / raw.callsPerSecond();
    double p50Tutorial = (double) stats.p50Nanos() / tutorial.p50Nanos();
    double throughputTutorial = stats.callsPerSecond() / tutorial.callsPerSecond();
    String line = String.format(Locale.ROOT,
        "| %s | %s | %s | %d | %.1f | %.1f | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s |",
        scenario, sizeName(size), peer, stats.calls(), stats.p50Nanos() / 1e3, stats.p99Nanos() / 1e3,
        stats.callsPerSecond(), p50Ratio, throughputRatio, p50Tutorial, throughputTutorial,
        stats.allocatedBytesPerCall() < 0 ? "" : Long.toString(stats.allocatedBytesPerCall()),
        stats.cpuNanosPerCall() < 0 ? "" : String.format(Locale.ROOT, "%.1f", stats.cpuNanosPerCall() / 1e3));
    rows.add(line);
    out.println(line);
    chartRows.add(new RunSummary.Row(scenario, sizeName(size), peer, stats.calls(), stats.p50Nanos() / 1e3,
        stats.p99Nanos() / 1e3, stats.callsPerSecond(), p50Ratio, throughputRatio));
    String key = scenario + " " + sizeName(size) + " " + peer;
    figures.put(key + " p50", (double) stats.p50Nanos());
    figures.put(key + " calls/s", stats.callsPerSecond());
    figures.put(key + " p50 ratio", p50Ratio);
    figures.put(key + " calls/s ratio", throughputRatio);
    figures.put(key + " p50 tutorial ratio", p50Tutorial);
    figures.put(key + " calls/s tutorial ratio", throughputTutorial);
    if (stats.allocatedBytesPerCall() >= 0) {
      figures.put(key + " alloc", (double) stats.allocatedBytesPerCall());
      figures.put(key + " cpu", (double) stats.cpuNanosPerCall());
    }
  }

  private static String sizeName(int size) {
    return size >= KIB * KIB ? size / (KIB * KIB) + " MiB" : size >= KIB ? size / KIB + " KiB" : size + " B";
  }

  // ---------------------------------------------------------------- fairness

  /**
   * Two server processes on one queue, 1 call in 100 slow: rabbit-rpc at this run's server settings
   * (its defaults unless -Dbench.workers/-Dbench.prefetch), rabbit-rpc with 2 workers (the old
   * default's concurrency), and the hand-written tutorial server at prefetch 100 and at prefetch 1
   * (the fair-dispatch reference).
   */
  private void fairness(int workers, int prefetch) throws Exception {
    List<Fairness.Result> results = new Fairness(uri, progress::step)
        .run(fairnessPairs(workers, prefetch), mode.fairnessThreads, mode.fairnessCallsPerThread);
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
        "%nFairness: 2 server processes on one queue, %d caller threads, 1 call in %d takes %d ms:%n%n"
            + "| servers | calls/s | instant p50 µs | instant p99 µs | slow p50 ms | slow calls per server | calls per server |%n"
            + "|---|---|---|---|---|---|---|%n",
        mode.fairnessThreads, Fairness.SLOW_EVERY, FairService.SLOW_MILLIS));
    for (Fairness.Result result : results) {
      text.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f | %.1f | %.1f | %s | %s |%n", result.name(),
          result.callsPerSecond(), result.instant().p50Nanos() / 1e3, result.instant().p99Nanos() / 1e3,
          result.slowP50Nanos() / 1e6, spread(result.slowByServer()), spread(result.allByServer())));
      figures.put("fairness " + result.name() + " instant p99", (double) result.instant().p99Nanos());
      figures.put("fairness " + result.name() + " calls/s", result.callsPerSecond());
      // Charted as its table reads: latency of the instant calls, calls/s of all; no raw to compare with.
      chartRows.add(new RunSummary.Row("fairness, 2 servers", "1 call in " + Fairness.SLOW_EVERY + " slow",
          result.name(), result.instant().calls(), result.instant().p50Nanos() / 1e3, result.instant().p99Nanos() / 1e3,
          result.callsPerSecond(), Double.NaN, Double.NaN));
    }
    rows.add(text.toString());
    out.print(text);
  }

  /** The pairs of server processes {@link #fairness} runs, one progress step each. */
  private static List<Fairness.Servers> fairnessPairs(int workers, int prefetch) {
    List<String> settings = Integer.getInteger("bench.workers") == null && Integer.getInteger("bench.prefetch") == null
        ? List.of() : List.of(Integer.toString(workers), Integer.toString(prefetch));
    return List.of(
        new Fairness.Servers(FAIR_RPC, "rabbit-rpc", settings),
        new Fairness.Servers(FAIR_RPC_2_WORKERS, "rabbit-rpc", List.of("2", "2")),
        new Fairness.Servers(TUTORIAL, "tutorial", List.of(Integer.toString(TUTORIAL_PREFETCH))),
        new Fairness.Servers(TUTORIAL_PREFETCH_1, "tutorial", List.of("1")));
  }

  static final String FAIR_RPC = "rabbit-rpc (this run's settings)";
  static final String FAIR_RPC_2_WORKERS = "rabbit-rpc, 2 workers, prefetch 2";
  static final String TUTORIAL_PREFETCH_1 = "tutorial (prefetch 1)";

  private static String spread(Map<String, Integer> byServer) {
    StringBuilder text = new StringBuilder();
    byServer.forEach((server, count) -> text.append(text.length() == 0 ? "" : " / ").append(server).append(' ')
        .append(count));
    return text.toString();
  }

  // ---------------------------------------------------------------- streaming

  /** The streaming scenario ({@link Streaming}): a stream against unary calls and hand-written streaming. */
  private void streaming() throws Exception {
    int threads = mode.threads[mode.threads.length - 1];
    List<Streaming.Result> results = new Streaming(this::factory, mapper, progress::step,
        mode.scale, threads).run();
    for (Streaming.Result result : results) {
      String key = "streaming " + result.group() + " " + result.peer();
      figures.put(key + " items/s", result.itemsPerSecond());
      figures.put(key + " MiB/s", result.mibPerSecond());
    }
    String text = Streaming.report(results, threads);
    rows.add(text);
    out.print(text);
  }

  // ---------------------------------------------------------------- first call and heap

  /** Spawns child JVMs that connect and make one call, alternating raw and rabbit-rpc. */
  private void firstCall(String rawQueue, String echoQueue) throws Exception {
    List<Long> raw = new ArrayList<>();
    List<Long> rpc = new ArrayList<>();
    List<Long> rawProcess = new ArrayList<>();
    List<Long> rpcProcess = new ArrayList<>();
    List<Long> rawCalls = new ArrayList<>();
    List<Long> rpcCalls = new ArrayList<>();
    for (int run = 0; run < mode.firstCallRuns; run++) {
      progress.step("first call raw, new JVM " + (run + 1) + "/" + mode.firstCallRuns);
      probe("raw", rawQueue, raw, rawProcess, rawCalls);
      progress.step("first call rabbit-rpc, new JVM " + (run + 1) + "/" + mode.firstCallRuns);
      probe("rabbit-rpc", echoQueue, rpc, rpcProcess, rpcCalls);
    }
    figures.put("first calls raw", (double) median(rawCalls));
    figures.put("first calls rabbit-rpc", (double) median(rpcCalls));
    long rawMedian = median(raw);
    long rpcMedian = median(rpc);
    figures.put("first call raw", (double) rawMedian);
    figures.put("first call rabbit-rpc", (double) rpcMedian);
    String text = String.format(Locale.ROOT,
        "%nFirst call in a new JVM (median of %d; main -> connected -> first reply; whole process in brackets):%n"
            + "  raw amqp-client: %.1f ms (%.0f ms)%n  rabbit-rpc:      %.1f ms (%.0f ms)%n  difference:      %+.1f ms%n",
        raw.size(), rawMedian / 1e6, median(rawProcess) / 1e6, rpcMedian / 1e6, median(rpcProcess) / 1e6,
        (rpcMedian - rawMedian) / 1e6)
        + String.format(Locale.ROOT, "The first %,d sequential calls in the same new JVMs (median; main -> last reply):%n"
            + "  raw amqp-client: %.1f ms%n  rabbit-rpc:      %.1f ms (%.2fx)%n", mode.firstCalls,
            figure("first calls raw") / 1e6, figure("first calls rabbit-rpc") / 1e6,
            figure("first calls rabbit-rpc") / figure("first calls raw"));
    rows.add(text);
    out.print(text);
  }

  private void probe(String which, String queue, List<Long> inProcess, List<Long> process, List<Long> calls)
      throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        FirstCallProbe.class.getName(), which, uri, queue, Integer.toString(mode.firstCalls)).redirectErrorStream(true);
    long start = System.nanoTime();
    Process child = builder.start();
    List<String> output = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        output.add(line);
      }
    }
    if (!child.waitFor(2, TimeUnit.MINUTES)) {
      child.destroyForcibly();
      throw new TimeoutException("first-call probe " + which + " did not exit");
    }
    long elapsed = System.nanoTime() - start;
    inProcess.add(nanosAfter(output, FirstCallProbe.RESULT_PREFIX, "first-call probe " + which + " failed"));
    process.add(elapsed);
    calls.add(nanosAfter(output, FirstCallProbe.CALLS_PREFIX,
        "first-call probe " + which + " made no " + mode.firstCalls + " calls"));
  }

  /** The number on a probe's output line that starts with {@code prefix}; else fails with {@code missing} and the output. */
  private static long nanosAfter(List<String> output, String prefix, String missing) {
    String line = output.stream().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new IllegalStateException(missing + ": " + output));
    return Long.parseLong(line.substring(prefix.length()));
  }

  private static long median(List<Long> values) {
    return Stats.percentile(values.stream().mapToLong(Long::longValue).sorted().toArray(), 0.5);
  }

  /**
   * Heap retained per call in flight: calls to a queue that has no consumer stay pending; the heap
   * used after full GCs with them pending, minus before, divided by their number.
   */
  private void heapPerCall(Connection rawClients, String parkedQueue) throws Exception {
    try (Channel admin = rawClients.createChannel()) {
      // Exclusive: deleted with this connection, even after a crashed run.
      admin.queueDeclare(parkedQueue, false, true, false, null);
      // A paused server: it takes every request and never answers nor acks. (With no consumer at all
      // rabbit-rpc fails the calls with UNAVAILABLE within a second, by design.)
      admin.basicConsume(parkedQueue, false, new DefaultConsumer(admin));
      Payload payload = Payload.ofSize(16);
      int calls = mode.heapCalls;
      long rpcBytes;
      try (RpcClient client = RpcClient.builder().connectionFactory(factory("bench-client-heap-"))
          .timeout(Duration.ofMinutes(5)).build()) {
        ParkedService parked = client.proxy(ParkedService.class, parkedQueue);
        progress.step("heap per call in flight rabbit-rpc, " + calls + " calls");
        rpcBytes = retainedPerCall("rabbit-rpc", () -> parked.echoAsync(payload), () -> client.stats().pendingCalls(), calls);
      }
      long rawBytes;
      byte[] body = Peers.requestBody(mapper, payload);
      try (RawClient client = new RawClient(rawClients, parkedQueue)) {
        progress.step("heap per call in flight raw, " + calls + " calls");
        rawBytes = retainedPerCall("raw", () -> client.send(body), client::pending, calls);
      }
      admin.queueDelete(parkedQueue);

      figures.put("heap per call rabbit-rpc", (double) rpcBytes);
      figures.put("heap per call raw", (double) rawBytes);
      String text = String.format(Locale.ROOT,
          "%nHeap per call in flight (%d calls pending, retained after GC):%n  raw amqp-client: %d B%n  rabbit-rpc:      %d B%n",
          calls, rawBytes, rpcBytes);
      rows.add(text);
      out.print(text);
    }
  }

  /** One call first (connects, opens channels, starts timers), then heap growth over {@code calls} more. */
  private static long retainedPerCall(String peer, Callable<CompletableFuture<?>> start, IntSupplier pending,
      int calls) throws Exception {
    CompletableFuture<?>[] held = new CompletableFuture<?>[calls]; // keeps the calls reachable, as callers would
    start.call();
    long before = Allocation.heapUsedAfterGc();
    for (int i = 0; i < calls; i++) {
      held[i] = start.call();
    }
    long after = Allocation.heapUsedAfterGc();
    if (pending.getAsInt() != calls + 1) {
      throw new IllegalStateException(peer + ": expected " + (calls + 1) + " pending calls, found " + pending.getAsInt());
    }
    return (after - before) / calls;
  }

  // ---------------------------------------------------------------- results

  private String results() {
    StringBuilder text = new StringBuilder();
    if (streamingOnly) {
      rows.forEach(text::append); // no calls table, no targets: none of them was measured
      return text.toString();
    }
    text.append("\n| scenario | payload | peer | calls | p50 µs | p99 µs | calls/s | p50 / raw | calls/s / raw"
        + " | p50 / tutorial | calls/s / tutorial | client alloc B/call | client CPU µs/call |\n");
    text.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (String row : rows) {
      if (row.startsWith("|")) {
        text.append(row).append('\n');
      }
    }
    for (String row : rows) {
      if (!row.startsWith("|")) {
        text.append(row);
      }
    }
    text.append("\nTargets (this run; against the tutorial-style server at prefetch " + TUTORIAL_PREFETCH
        + ", and raw where said):\n");
    // Issue 25's targets.
    target(text, "32 threads calls/s, 16 B, vs tutorial",
        figure("32 threads 16 B rabbit-rpc sync calls/s tutorial ratio"), "x", ">=", 1.0);
    target(text, "sequential sync p50, 16 B, vs tutorial",
        figure("sequential 16 B rabbit-rpc sync p50 tutorial ratio"), "x", "<=", 1.10);
    target(text, "256 in flight calls/s, 16 B, vs raw pipelined -> tutorial",
        figure("256 in flight 16 B rabbit-rpc async calls/s tutorial ratio"), "x", ">=", 0.90);
    target(text, "fairness: instant p99 vs the tutorial server at prefetch 1",
        figure("fairness " + FAIR_RPC + " instant p99") / figure("fairness " + TUTORIAL_PREFETCH_1 + " instant p99"),
        "x", "<=", 1.0);
    target(text, "sequential sync p50, 1 MiB, JSON, vs raw", figure("sequential 1 MiB rabbit-rpc sync p50 ratio"), "x",
        "<=", 2.5);
    target(text, "sequential sync p50, 1 MiB, CBOR, vs raw", figure("sequential 1 MiB " + CBOR + " p50 ratio"), "x",
        "<=", 1.5);
    target(text, "first call, ms over raw",
        (figure("first call rabbit-rpc") - figure("first call raw")) / 1e6, " ms", "<=", 150);
    target(text, "first " + mode.firstCalls + " calls in a new JVM, vs raw",
        figure("first calls rabbit-rpc") / figure("first calls raw"), "x", "<=", 1.2);
    target(text, "heap per call in flight, B", figure("heap per call rabbit-rpc"), " B", "<=", 1024);
    target(text, "client allocation per call, 16 B sequential", figure("sequential 16 B rabbit-rpc sync alloc"), " B",
        "<=", 3072);
    text.append(String.format(Locale.ROOT, "- client allocation per call, 16 B sequential: raw %.0f B, rabbit-rpc %.0f B%n",
        figure("sequential 16 B raw alloc"), figure("sequential 16 B rabbit-rpc sync alloc")));
    text.append(String.format(Locale.ROOT, "- client CPU per call, 16 B sequential: raw %.1f µs, rabbit-rpc %.1f µs%n",
        figure("sequential 16 B raw cpu") / 1e3, figure("sequential 16 B rabbit-rpc sync cpu") / 1e3));
    text.append(observationCost());
    return text.toString();
  }

  /**
   * What observation adds to rabbit-rpc, at 16 B, from the same run's rows: sequential p50 and
   * 32-thread calls/s of the observed peers against rabbit-rpc's without interceptors, and the
   * client's allocation and CPU per call (sequential) of all three.
   */
  private String observationCost() {
    StringBuilder text = new StringBuilder("- cost of observation, 16 B, against rabbit-rpc sync without interceptors:\n");
    String many = mode.threads[mode.threads.length - 1] + " threads";
    for (String peer : traced ? new String[] {ObservedPeers.METERED, ObservedPeers.TRACED}
        : new String[] {ObservedPeers.METERED}) {
      text.append(String.format(Locale.ROOT,
          "  - %s: sequential p50 %+.1f %%, %s calls/s %+.1f %%, client allocation %.0f B/call (%+.0f B), client CPU %.1f µs/call (%+.1f µs)%n",
          peer, percent(figure("sequential 16 B " + peer + " p50"), figure("sequential 16 B rabbit-rpc sync p50")), many,
          percent(figure(many + " 16 B " + peer + " calls/s"), figure(many + " 16 B rabbit-rpc sync calls/s")),
          figure("sequential 16 B " + peer + " alloc"),
          figure("sequential 16 B " + peer + " alloc") - figure("sequential 16 B rabbit-rpc sync alloc"),
          figure("sequential 16 B " + peer + " cpu") / 1e3,
          (figure("sequential 16 B " + peer + " cpu") - figure("sequential 16 B rabbit-rpc sync cpu")) / 1e3));
    }
    return text.toString();
  }

  private static double percent(double value, double reference) {
    return (value / reference - 1) * 100;
  }

  private double figure(String key) {
    return figures.getOrDefault(key, Double.NaN);
  }

  private void target(StringBuilder text, String what, double value, String unit, String relation, double limit) {
    RunSummary.Target target = new RunSummary.Target(what, value, unit, relation, limit);
    chartTargets.add(target);
    text.append(String.format(Locale.ROOT, "- %s: %.2f%s (target %s %s) %s%n", what, value, unit, relation,
        limit, !target.measured() ? "not measured" : target.met() ? "met" : "MISSED"));
  }
}
