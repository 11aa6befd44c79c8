package dev.rabbitrpc.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The streaming scenario: the same items read as one rabbit-rpc stream ({@link StreamService#items}),
 * fetched by unary calls (one call per item, from one thread and from many), and streamed by hand with
 * amqp-client ({@link RawStreamPeer}: no flow control), in the same run against the same broker; at
 * 16 B and 1 KiB per item, and 64 MiB as 256 KiB items against 1 MiB unary calls. Each peer is warmed
 * up, then measured in {@link #ROUNDS} interleaved rounds (the first peer rotating). For each it gives
 * items/s and MiB/s (of payload: items x nominal size), the bytes the client's threads allocated per
 * MiB (caller threads + the client connection's threads, {@link Allocation}), and the peak heap of
 * the whole JVM (the servers run in it too: an upper bound, the sum of each heap pool's peak), from a
 * heap collected before each round. {@code -Dbench.streamWindow=N} sets the client's stream window.
 *
 * <p>Not thread-safe; one run at a time.
 */
final class Streaming {
  static final int ROUNDS = 3;
  static final String RPC_STREAM = "rabbit-rpc stream";
  static final String RAW_STREAM = "raw stream (no flow control)";
  static final String RPC_UNARY = "rabbit-rpc unary, 1 thread";
  private static final int KIB = 1024;
  private static final int MIB = KIB * KIB;
  private static final long TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(5);

  /** Makes connection factories whose threads carry a name prefix (so that their allocation can be counted). */
  interface Factories {
    ConnectionFactory named(String threadPrefix) throws Exception;
  }

  /**
   * One peer's figures over its measured rounds.
   *
   * @param group the table it belongs to: {@code 16 B}, {@code 1 KiB} or {@code 64 MiB}
   * @param itemBytes nominal payload bytes per item (or per unary call)
   * @param items items (or calls) measured in all
   * @param allocPerMib bytes the client's threads allocated per MiB of payload
   * @param peakHeapBytes the largest peak heap of its rounds (whole JVM)
   */
  record Result(String group, String peer, int itemBytes, long items, double itemsPerSecond, double mibPerSecond,
      double allocPerMib, long peakHeapBytes) {}

  /** One way of moving {@code items} items; returns the bytes allocated by threads it started (0 if none). */
  private interface Transfer {
    long run(int items) throws Exception;
  }

  private record Peer(String group, String name, int itemBytes, int itemsPerRound, String threadPrefix,
      Transfer transfer) {}

  private final Factories factories;
  private final ObjectMapper mapper;
  private final Consumer<String> progress;
  private final double scale;
  private final int threads;

  /**
   * @param scale 1 for a quick run (20,000 16 B items per stream and round), 5 for a full one, 0.01 for a smoke
   *     run; the 64 MiB group never grows past 256 x 256 KiB per round
   * @param threads the unary peer's calling threads beside the sequential one
   */
  Streaming(Factories factories, ObjectMapper mapper, Consumer<String> progress, double scale, int threads) {
    this.factories = factories;
    this.mapper = mapper;
    this.progress = progress;
    this.scale = scale;
    this.threads = threads;
  }

  /** The progress steps {@link #run} takes: per peer a warm-up and {@link #ROUNDS} rounds. */
  static int plannedSteps() {
    return 11 * (1 + ROUNDS);
  }

  List<Result> run() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    StreamService.Impl impl = new StreamService.Impl();
    Map<Integer, byte[]> itemBodies = Map.of(16, json(16), KIB, json(KIB), 256 * KIB, json(256 * KIB));
    try (Connection rawServers = factories.named("bench-server-rawstream-").newConnection("bench raw stream server");
        Connection rawClients = factories.named("bench-client-rawstream-").newConnection("bench raw stream client");
        RawStreamPeer.Server rawServer = new RawStreamPeer.Server(rawServers, "rabbit-rpc-bench.rawstream-" + suffix,
            itemBodies);
        RawStreamPeer.Client rawClient = new RawStreamPeer.Client(rawClients, rawServer.queue(), mapper);
        RpcClient servers = RpcClient.builder().connectionFactory(factories.named("bench-server-stream-"))
            .connectionName("bench rabbit-rpc stream server").build();
        RpcClient client = windowIfSet(RpcClient.builder().connectionFactory(factories.named("bench-client-stream-"))
            .timeout(Duration.ofMillis(TIMEOUT_MILLIS))).connectionName("bench rabbit-rpc stream client").build()) {
      RpcServer server = servers.export(StreamService.class, impl, "rabbit-rpc-bench.stream-" + suffix);
      try {
        StreamService proxy = client.proxy(StreamService.class, server.queue());
        List<Result> results = new ArrayList<>();
        for (int size : new int[] {16, KIB}) {
          String group = size == 16 ? "16 B" : "1 KiB";
          int streamed = count(size == 16 ? 20_000 : 10_000);
          results.addAll(measure(List.of(
              new Peer(group, RPC_STREAM, size, streamed, "bench-client-stream-", n -> read(proxy, n, size)),
              new Peer(group, RAW_STREAM, size, streamed, "bench-client-rawstream-", raw(rawClient, size)),
              new Peer(group, RPC_UNARY, size, count(1_000), "bench-client-stream-", n -> unary(proxy, n, size, 1)),
              new Peer(group, "rabbit-rpc unary, " + threads + " threads", size, count(100 * threads),
                  "bench-client-stream-", n -> unary(proxy, n, size, threads)))));
        }
        int big = 256 * KIB;
        int bigItems = Math.max(4, (int) (256 * Math.min(1, scale)));
        results.addAll(measure(List.of(
            new Peer("64 MiB", RPC_STREAM + ", 256 KiB items", big, bigItems, "bench-client-stream-",
                n -> read(proxy, n, big)),
            new Peer("64 MiB", RAW_STREAM + ", 256 KiB items", big, bigItems, "bench-client-rawstream-",
                raw(rawClient, big)),
            new Peer("64 MiB", "rabbit-rpc unary, 1 MiB calls", MIB, bigItems / 4, "bench-client-stream-",
                n -> unary(proxy, n, MIB, 1)))));
        return results;
      } finally {
        server.closeAndDeleteCreatedQueue();
      }
    }
  }

  /** The client's stream window as {@code -Dbench.streamWindow} sets it; else rabbit-rpc's default. */
  private static RpcClient.Builder windowIfSet(RpcClient.Builder builder) {
    Integer window = Integer.getInteger("bench.streamWindow");
    return window == null ? builder : builder.streamWindow(window);
  }

  private int count(int quick) {
    return Math.max(10, (int) (quick * scale));
  }

  private byte[] json(int size) throws Exception {
    return mapper.writeValueAsBytes(Payload.ofSize(size));
  }

  /** One hand-written stream of items of {@code size} bytes, read to its end. */
  private static Transfer raw(RawStreamPeer.Client client, int size) {
    return items -> {
      client.stream(items, size, TIMEOUT_MILLIS);
      return 0;
    };
  }

  /** Reads one stream of {@code items} to its end on the calling thread. */
  private static long read(StreamService proxy, int items, int size) {
    long read;
    try (Stream<Payload> stream = proxy.items(items, size)) {
      read = stream.count();
    }
    if (read != items) {
      throw new IllegalStateException("stream: " + read + " items, expected " + items);
    }
    return 0;
  }

  /** {@code items} unary calls, one after another on each of {@code threads} threads (on the caller's if one). */
  private static long unary(StreamService proxy, int items, int size, int threads) throws Exception {
    if (threads == 1) {
      for (int i = 0; i < items; i++) {
        proxy.item(i, size);
      }
      return 0;
    }
    AtomicLong allocated = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int first = t;
      Thread caller = new Thread(() -> {
        long before = Allocation.ofCurrentThread().bytes();
        try {
          for (int i = first; i < items; i += threads) {
            proxy.item(i, size);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          allocated.addAndGet(Allocation.ofCurrentThread().bytes() - before);
          done.countDown();
        }
      }, "bench-stream-unary-" + t);
      caller.start();
    }
    if (!done.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
      throw new TimeoutException("unary calls did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a unary call failed", failure.get());
    }
    return allocated.get();
  }

  /** Warms each peer up (half a round), then measures them in interleaved rounds. */
  private List<Result> measure(List<Peer> peers) throws Exception {
    for (Peer peer : peers) {
      progress.accept("streaming " + peer.group() + " " + peer.name() + " warm-up");
      peer.transfer().run(Math.max(1, peer.itemsPerRound() / 2));
    }
    long[] wall = new long[peers.size()];
    long[] allocated = new long[peers.size()];
    long[] peak = new long[peers.size()];
    for (int round = 0; round < ROUNDS; round++) {
      for (int i = 0; i < peers.size(); i++) {
        int p = (i + round) % peers.size();
        Peer peer = peers.get(p);
        progress.accept("streaming " + peer.group() + " " + peer.name() + " round " + (round + 1) + "/" + ROUNDS);
        Allocation.heapUsedAfterGc(); // every round's peak starts from the same, collected heap
        resetPeakHeap();
        Allocation.Usage before = Allocation.ofThreads(peer.threadPrefix()).plus(Allocation.ofCurrentThread());
        long start = System.nanoTime();
        long started = peer.transfer().run(peer.itemsPerRound());
        wall[p] += System.nanoTime() - start;
        allocated[p] += Allocation.ofThreads(peer.threadPrefix()).plus(Allocation.ofCurrentThread()).minus(before).bytes()
            + started;
        peak[p] = Math.max(peak[p], peakHeap());
      }
    }
    List<Result> results = new ArrayList<>();
    for (int p = 0; p < peers.size(); p++) {
      Peer peer = peers.get(p);
      long items = (long) peer.itemsPerRound() * ROUNDS;
      double mib = (double) items * peer.itemBytes() / MIB;
      double seconds = wall[p] / 1e9;
      results.add(new Result(peer.group(), peer.name(), peer.itemBytes(), items, items / seconds, mib / seconds,
          allocated[p] / mib, peak[p]));
    }
    return results;
  }

  private static List<MemoryPoolMXBean> heapPools() {
    return ManagementFactory.getMemoryPoolMXBeans().stream().filter(pool -> pool.getType() == MemoryType.HEAP).toList();
  }

  private static void resetPeakHeap() {
    heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  private static long peakHeap() {
    return heapPools().stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
  }

  /** The report's section: one table, each row's items/s against the raw stream of its group. */
  static String report(List<Result> results, int threads) {
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
        "%nStreaming replies: the same items as one rabbit-rpc stream (window %s), by unary calls (1 and %d threads),"
            + " and streamed by hand with amqp-client (direct reply-to, no flow control); MiB of payload"
            + " (items x nominal size); client allocation: caller + client connection threads; peak heap: whole JVM"
            + " (servers included), sum of the heap pools' peaks:%n%n"
            + "| items | peer | items (or calls) | items/s | MiB/s | MiB/s / raw stream | client alloc B/item"
            + " | client alloc B per B of payload | peak heap MiB |%n"
            + "|---|---|---|---|---|---|---|---|---|%n",
        Integer.getInteger("bench.streamWindow") == null ? "64, the default" : Integer.getInteger("bench.streamWindow"),
        threads));
    for (Result result : results) {
      double raw = results.stream().filter(r -> r.group().equals(result.group()) && r.peer().startsWith(RAW_STREAM))
          .mapToDouble(Result::mibPerSecond).findFirst().orElse(Double.NaN);
      text.append(String.format(Locale.ROOT, "| %s | %s | %d | %.0f | %.2f | %.2f | %.0f | %.2f | %.0f |%n",
          result.group(), result.peer(), result.items(), result.itemsPerSecond(), result.mibPerSecond(),
          result.mibPerSecond() / raw, result.allocPerMib() / MIB * result.itemBytes(), result.allocPerMib() / MIB,
          result.peakHeapBytes() / (double) MIB));
    }
    return text.toString();
  }
}
