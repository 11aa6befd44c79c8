package dev.rabbitrpc.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.JdbcReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongUnaryOperator;

/**
 * What replayed replies cost per call: the same 16 B call to a plain method, to a {@code @Deduplicated}
 * one with an {@link InMemoryReplyStore}, and to a {@code @Deduplicated} one with a
 * {@link JdbcReplyStore} on the machine's PostgreSQL (through a HikariCP pool, as a user runs it), in
 * the same run, same broker, same JVM: sequential (p50, p99, calls/s) and 32 threads (calls/s),
 * in interleaved rounds. Every call has its own key, so every call claims, runs and keeps (the cost a
 * first attempt pays; a replay costs less).
 *
 * <pre>
 * java -cp rpc-benchmarks/target/rabbit-rpc-benchmarks.jar dev.rabbitrpc.benchmarks.ReplayCost [--quick] [--out FILE]
 * </pre>
 * Broker: {@code RPC_AMQP_URI} (default {@code amqp://guest:guest@localhost:5672}); database
 * {@code RPC_BENCH_JDBC_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/test}, user {@code postgres}).
 *
 * <p>Not thread-safe; one run at a time.
 */
public final class ReplayCost {
  @RpcService(queue = "bench.replay.plain")
  public interface Plain {
    long add(long amount);
  }

  @RpcService(queue = "bench.replay.deduplicated")
  public interface Once {
    @Deduplicated
    long add(long amount);
  }

  /** Adds to a total: the handler's own work is nothing, so the figures are the store's cost. */
  static final class Adder implements Plain, Once {
    private final AtomicLong total = new AtomicLong();

    @Override
    public long add(long amount) {
      return total.addAndGet(amount);
    }
  }

  private static final int THREADS = 32;
  private static final int ROUNDS = 3;

  private ReplayCost() {}

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("usage: ReplayCost [--quick] [--out FILE]; unknown: " + args[i]);
          System.exit(2);
        }
      }
    }
    String report = run(quick, System.out);
    System.out.println(report);
    if (out != null) {
      Files.writeString(out, report, StandardCharsets.UTF_8);
    }
  }

  /** The figures of one peer over its rounds. */
  private record Figures(List<Long> p50, List<Long> p99, List<Double> sequential, List<Double> threaded) {
    Figures() {
      this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }
  }

  static String run(boolean quick, PrintStream progress) throws Exception {
    int sequentialCalls = quick ? 2_000 : 10_000;
    Duration window = Duration.ofSeconds(quick ? 5 : 15);
    String uri = System.getenv().getOrDefault("RPC_AMQP_URI", "amqp://guest:guest@localhost:5672");
    String jdbcUrl = System.getenv().getOrDefault("RPC_BENCH_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    String table = "rpc_replies_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername("postgres");
    config.setMaximumPoolSize(THREADS + 8);
    config.setPoolName("bench-replay");
    try (HikariDataSource pool = new HikariDataSource(config);
        JdbcReplyStore jdbc = JdbcReplyStore.builder(pool).table(table).build();
        InMemoryReplyStore memory = new InMemoryReplyStore();
        RpcClient client = RpcClient.builder().uri(uri).connectionName("bench replay").build()) {
      Adder adder = new Adder();
      String suffix = "." + UUID.randomUUID().toString().substring(0, 8);
      List<RpcServer> servers = List.of(
          client.server(Plain.class, adder).queue("bench.replay.plain" + suffix).export(),
          client.server(Once.class, adder).queue("bench.replay.memory" + suffix).replyStore(memory).export(),
          client.server(Once.class, adder).queue("bench.replay.jdbc" + suffix).replyStore(jdbc).export());
      try {
        Plain plain = client.proxy(Plain.class, "bench.replay.plain" + suffix);
        Once inMemory = client.proxy(Once.class, "bench.replay.memory" + suffix);
        Once inDatabase = client.proxy(Once.class, "bench.replay.jdbc" + suffix);
        Map<String, LongUnaryOperator> peers = new LinkedHashMap<>();
        peers.put("plain method, no store", plain::add);
        peers.put("@Deduplicated, InMemoryReplyStore", inMemory::add);
        peers.put("@Deduplicated, JdbcReplyStore (PostgreSQL)", inDatabase::add);
        Map<String, Figures> figures = new LinkedHashMap<>();
        for (Map.Entry<String, LongUnaryOperator> peer : peers.entrySet()) {
          progress.println("warming up " + peer.getKey());
          sequential(peer.getValue(), sequentialCalls);
          threaded(peer.getValue(), Duration.ofSeconds(2));
          figures.put(peer.getKey(), new Figures());
        }
        List<String> names = new ArrayList<>(peers.keySet());
        for (int round = 0; round < ROUNDS; round++) {
          for (int i = 0; i < names.size(); i++) {
            String name = names.get((i + round) % names.size()); // the first peer rotates
            Figures f = figures.get(name);
            long[] latencies = sequential(peers.get(name), sequentialCalls);
            long wall = 0;
            for (long latency : latencies) {
              wall += latency;
            }
            java.util.Arrays.sort(latencies);
            f.p50().add(Stats.percentile(latencies, 0.5));
            f.p99().add(Stats.percentile(latencies, 0.99));
            f.sequential().add(latencies.length * 1e9 / wall);
            f.threaded().add(threaded(peers.get(name), window));
            progress.printf(Locale.ROOT, "round %d %s: p50 %d us, 32 threads %.0f calls/s%n", round + 1, name,
                f.p50().get(f.p50().size() - 1) / 1000, f.threaded().get(f.threaded().size() - 1));
          }
        }
        return report(figures, sequentialCalls, window, quick);
      } finally {
        for (RpcServer server : servers) {
          server.closeAndDeleteCreatedQueue();
        }
        try (Connection connection = pool.getConnection(); Statement drop = connection.createStatement()) {
          drop.execute("DROP TABLE IF EXISTS " + table);
        }
      }
    }
  }

  /** {@code calls} sequential calls; their latencies. */
  private static long[] sequential(LongUnaryOperator call, int calls) {
    long[] latencies = new long[calls];
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      call.applyAsLong(1);
      latencies[i] = System.nanoTime() - start;
    }
    return latencies;
  }

  /** 32 threads calling in a loop for {@code window}; calls/s. */
  private static double threaded(LongUnaryOperator call, Duration window) throws Exception {
    AtomicLong calls = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(THREADS);
    long end = System.nanoTime() + window.toNanos();
    long start = System.nanoTime();
    for (int t = 0; t < THREADS; t++) {
      Thread thread = new Thread(() -> {
        try {
          while (System.nanoTime() - end < 0) {
            call.applyAsLong(1);
            calls.incrementAndGet();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          done.countDown();
        }
      }, "bench-replay-" + t);
      thread.setDaemon(true);
      thread.start();
    }
    if (!done.await(window.toSeconds() + 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the 32 callers did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed", failure.get());
    }
    return calls.get() * 1e9 / (System.nanoTime() - start);
  }

  private static String report(Map<String, Figures> figures, int sequentialCalls, Duration window, boolean quick) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Replayed replies: the cost per call (%s run: %d sequential calls and %d s of %d threads"
        + " per peer and round, %d interleaved rounds, medians of the rounds; 16 B argument and result; every call a new key)%n%n",
        quick ? "quick" : "full", sequentialCalls, window.toSeconds(), THREADS, ROUNDS));
    md.append("| peer | sequential p50 | sequential p99 | sequential calls/s | 32 threads calls/s | p50 vs plain | 32 threads vs plain |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    Figures base = figures.values().iterator().next();
    double baseP50 = median(base.p50());
    double baseThreaded = medianD(base.threaded());
    for (Map.Entry<String, Figures> entry : figures.entrySet()) {
      Figures f = entry.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %.0f µs | %.0f µs | %,.0f | %,.0f | %.2fx | %.2fx |%n", entry.getKey(),
          median(f.p50()) / 1000, median(f.p99()) / 1000, medianD(f.sequential()), medianD(f.threaded()),
          median(f.p50()) / baseP50, medianD(f.threaded()) / baseThreaded));
    }
    return md.toString();
  }

  private static double median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  private static double medianD(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
