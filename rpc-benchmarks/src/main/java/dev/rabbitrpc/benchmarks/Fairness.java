package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The fairness scenario: two server processes ({@link FairnessServerMain}) on one queue, callers
 * on many threads, one call in 100 taking {@link FairService#SLOW_MILLIS} ms and the rest instant.
 * What it shows is whether instant calls wait behind slow ones: the p99 of the instant calls, and
 * how the slow calls spread over the two servers. rabbit-rpc's servers are called through a
 * rabbit-rpc proxy at its defaults, the hand-written tutorial servers through {@link RawClient}.
 *
 * <p>Not thread-safe; one run at a time.
 */
final class Fairness {
  /** One in this many calls is slow. */
  static final int SLOW_EVERY = 100;
  private static final long READY_SECONDS = 60;

  /** A pair of server processes: {@code kind} and arguments as {@link FairnessServerMain} takes them. */
  record Servers(String name, String kind, List<String> settings) {}

  /**
   * The outcome for one pair of servers.
   *
   * @param instant latency of the instant calls
   * @param slowP50Nanos median latency of the slow calls
   * @param callsPerSecond every call (instant and slow) over the measured wall time
   * @param slowByServer slow calls each server ran
   * @param allByServer calls each server ran
   */
  record Result(String name, Stats instant, long slowP50Nanos, double callsPerSecond,
      Map<String, Integer> slowByServer, Map<String, Integer> allByServer) {}

  private final String uri;
  private final Consumer<String> progress;

  Fairness(String uri, Consumer<String> progress) {
    this.uri = uri;
    this.progress = progress;
  }

  /** Runs each pair of servers in turn: warm-up, then {@code callsPerThread} calls on each of {@code threads}. */
  List<Result> run(List<Servers> pairs, int threads, int callsPerThread) throws Exception {
    List<Result> results = new ArrayList<>();
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    try (Connection connection = factory.newConnection("bench fairness clients")) {
      for (Servers pair : pairs) {
        progress.accept("fairness " + pair.name());
        results.add(run(connection, pair, threads, callsPerThread));
      }
    }
    return results;
  }

  private Result run(Connection connection, Servers pair, int threads, int callsPerThread) throws Exception {
    String queue = "rabbit-rpc-bench.fair-" + UUID.randomUUID().toString().substring(0, 8);
    // Durable and shared by two processes: RabbitMQ 4.3 refuses transient non-exclusive queues.
    try (Channel admin = connection.createChannel()) {
      admin.queueDeclare(queue, true, false, false, null);
    }
    List<ChildJvm> servers = new ArrayList<>();
    try {
      for (String id : List.of("A", "B")) {
        servers.add(start(pair, queue, id));
      }
      try (Callers callers = pair.kind().equals("rabbit-rpc") ? rpcCallers(queue) : tutorialCallers(connection, queue,
          threads)) {
        measure(callers, threads, Math.max(1, callsPerThread / 4)); // warm-up
        Measured measured = measure(callers, threads, callsPerThread);
        return measured.result(pair.name());
      }
    } finally {
      for (ChildJvm server : servers) {
        server.stop();
      }
      try (Channel admin = connection.createChannel()) {
        admin.queueDelete(queue);
      }
    }
  }

  private ChildJvm start(Servers pair, String queue, String id) throws Exception {
    List<String> args = new ArrayList<>(List.of(pair.kind(), uri, queue, id));
    args.addAll(pair.settings());
    return ChildJvm.start("fairness server " + id, FairnessServerMain.class, List.of(), args);
  }

  /** Makes calls on behalf of caller thread {@code t}; returns the id of the server that ran it. */
  private interface Callers extends AutoCloseable {
    String call(int t, boolean slow) throws Exception;

    @Override
    void close() throws java.io.IOException, TimeoutException;
  }

  private Callers rpcCallers(String queue) {
    RpcClient client = RpcClient.builder().uri(uri).connectionName("bench fairness rabbit-rpc client").build();
    FairService proxy = client.proxy(FairService.class, queue);
    return new Callers() {
      @Override
      public String call(int t, boolean slow) {
        return proxy.work(slow);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  private static Callers tutorialCallers(Connection connection, String queue, int threads) throws Exception {
    RawClient[] clients = new RawClient[threads];
    for (int t = 0; t < threads; t++) {
      clients[t] = new RawClient(connection, queue);
    }
    byte[] fast = "fast".getBytes(StandardCharsets.US_ASCII);
    return new Callers() {
      @Override
      public String call(int t, boolean slow) throws Exception {
        byte[] reply = clients[t].call(slow ? FairnessServerMain.SLOW : fast, EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
        return new String(reply, StandardCharsets.UTF_8);
      }

      @Override
      public void close() throws java.io.IOException, TimeoutException {
        for (RawClient client : clients) {
          client.close();
        }
      }
    };
  }

  private record Measured(long[] instant, long[] slow, long wallNanos, Map<String, Integer> slowByServer,
      Map<String, Integer> allByServer) {
    Result result(String name) {
      long[] sortedSlow = slow.clone();
      Arrays.sort(sortedSlow);
      Stats stats = Stats.of(instant, wallNanos, null);
      double callsPerSecond = (instant.length + slow.length) * 1e9 / Math.max(1, wallNanos);
      return new Result(name, stats, Stats.percentile(sortedSlow, 0.5), callsPerSecond, slowByServer, allByServer);
    }
  }

  /** Each thread makes {@code perThread} calls; call i of thread t is slow when (i + 37 t) % 100 == 0. */
  private static Measured measure(Callers callers, int threads, int perThread) throws Exception {
    long[][] instant = new long[threads][];
    long[][] slow = new long[threads][];
    Map<String, Integer> slowBy = new ConcurrentHashMap<>();
    Map<String, Integer> allBy = new ConcurrentHashMap<>();
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      int index = t;
      Thread caller = new Thread(() -> {
        long[] mineInstant = new long[perThread];
        long[] mineSlow = new long[perThread];
        int instantCount = 0;
        int slowCount = 0;
        try {
          if (!go.await(READY_SECONDS, TimeUnit.SECONDS)) {
            throw new TimeoutException("never started");
          }
          for (int i = 0; i < perThread; i++) {
            boolean isSlow = (i + 37 * index) % SLOW_EVERY == 0;
            long start = System.nanoTime();
            String server = callers.call(index, isSlow);
            long latency = System.nanoTime() - start;
            allBy.merge(server, 1, Integer::sum);
            if (isSlow) {
              mineSlow[slowCount++] = latency;
              slowBy.merge(server, 1, Integer::sum);
            } else {
              mineInstant[instantCount++] = latency;
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          instant[index] = Arrays.copyOf(mineInstant, instantCount);
          slow[index] = Arrays.copyOf(mineSlow, slowCount);
          done.countDown();
        }
      }, "bench-fairness-caller-" + t);
      caller.start();
    }
    long start = System.nanoTime();
    go.countDown();
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new TimeoutException("fairness calls did not finish");
    }
    long wall = System.nanoTime() - start;
    if (failure.get() != null) {
      throw new IllegalStateException("a fairness call failed", failure.get());
    }
    return new Measured(Arrays.stream(instant).flatMapToLong(Arrays::stream).toArray(),
        Arrays.stream(slow).flatMapToLong(Arrays::stream).toArray(), wall, new TreeMap<>(slowBy), new TreeMap<>(allBy));
  }
}
