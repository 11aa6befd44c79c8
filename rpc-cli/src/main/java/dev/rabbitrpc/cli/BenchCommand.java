package dev.rabbitrpc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code bench QUEUE METHOD ARGS… --threads N --duration D}: what {@code ghz} does for gRPC. N
 * threads call the method back to back through {@code RpcClient.callJson} (one client, one
 * connection, as an application would) until D has passed; then the calls per second, the latency
 * percentiles of the calls that succeeded (nearest rank) and the failures by code. The arguments
 * are checked once, as {@code call} checks them. The report is printed even if calls failed; the
 * status is 0 when at least one call succeeded, else that of the first failure's code.
 *
 * <p>Each worker thread keeps its own latencies and counts; they are merged after all have ended.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Calls METHOD of the service on QUEUE from --threads threads for --duration, then prints"
        + " calls/s, latency percentiles (p50/p90/p99) and failures by code.")
final class BenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  Main main;

  @Parameters(index = "0", paramLabel = "QUEUE", description = "The service's queue.")
  String queue;

  @Parameters(index = "1", paramLabel = "METHOD", description = "The method's wire name.")
  String method;

  @Parameters(index = "2..*", paramLabel = "ARG", description = "The arguments, one JSON value each, the same for every call.")
  List<String> args = new ArrayList<>();

  @Option(names = {"-t", "--threads"}, defaultValue = "4", description = "Calling threads. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = {"-d", "--duration"}, defaultValue = "10s", converter = BrokerOptions.DurationConverter.class,
      description = "How long to call: 500ms, 10s, 1m. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(names = "--no-check", description = "Do not ask the server's contract first.")
  boolean noCheck;

  /** One thread's outcomes. */
  private static final class Worker extends Thread {
    private final Runnable call;
    private final long endNanos;
    long[] latencies = new long[1024];
    int ok;
    final Map<Code, Integer> failures = new EnumMap<>(Code.class);
    RpcException firstFailure;

    Worker(int index, Runnable call, long endNanos) {
      super("rabbit-rpc-bench-" + index);
      this.call = call;
      this.endNanos = endNanos;
    }

    @Override
    public void run() {
      while (System.nanoTime() < endNanos) {
        long start = System.nanoTime();
        try {
          call.run();
          if (ok == latencies.length) {
            latencies = Arrays.copyOf(latencies, ok * 2);
          }
          latencies[ok++] = System.nanoTime() - start;
        } catch (RpcException e) {
          failures.merge(e.code(), 1, Integer::sum);
          if (firstFailure == null) {
            firstFailure = e;
          }
        }
      }
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    if (threads < 1) {
      throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
    }
    List<JsonNode> values = Json.arguments(args);
    JsonNode arguments = Json.MAPPER.valueToTree(values);
    try (BrokerOptions.Session session = main.broker.connect()) {
      if (!noCheck) {
        ArgumentCheck.check(session.describe(queue), queue, method, values);
      }
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      List<Worker> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Worker worker = new Worker(i, () -> session.client.callJson(queue, method, arguments, main.broker.timeout), end);
        workers.add(worker);
        worker.start();
      }
      long joinBy = end + main.broker.timeout.toNanos() + TimeUnit.SECONDS.toNanos(10); // a call started last ends by its deadline
      for (Worker worker : workers) {
        worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
        if (worker.isAlive()) {
          throw Failure.of(Code.INTERNAL, worker.getName() + " did not end within its calls' deadline");
        }
      }
      long elapsed = System.nanoTime() - start;
      return report(workers, elapsed, spec.commandLine().getOut(), session);
    }
  }

  private int report(List<Worker> workers, long elapsedNanos, PrintWriter out, BrokerOptions.Session session) {
    int ok = 0;
    Map<Code, Integer> failures = new EnumMap<>(Code.class);
    RpcException firstFailure = null;
    for (Worker worker : workers) {
      ok += worker.ok;
      worker.failures.forEach((code, n) -> failures.merge(code, n, Integer::sum));
      if (firstFailure == null) {
        firstFailure = worker.firstFailure;
      }
    }
    long[] latencies = new long[ok];
    int at = 0;
    for (Worker worker : workers) {
      System.arraycopy(worker.latencies, 0, latencies, at, worker.ok);
      at += worker.ok;
    }
    Arrays.sort(latencies);
    int failed = failures.values().stream().mapToInt(Integer::intValue).sum();
    double seconds = elapsedNanos / 1e9;
    out.println(String.format(Locale.ROOT, "bench %s on %s: %d thread%s, %.2f s", method, queue, workers.size(),
        workers.size() == 1 ? "" : "s", seconds));
    out.println(String.format(Locale.ROOT, "calls: %d (%d ok, %d failed), %.1f calls/s", ok + failed, ok, failed, ok / seconds));
    if (ok > 0) {
      out.println(String.format(Locale.ROOT, "latency: min %.2f ms, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
          latencies[0] / 1e6, percentile(latencies, 50) / 1e6, percentile(latencies, 90) / 1e6,
          percentile(latencies, 99) / 1e6, latencies[ok - 1] / 1e6));
    } else {
      out.println("latency: no call succeeded");
    }
    List<String> byCode = new ArrayList<>();
    failures.forEach((code, n) -> byCode.add(code + " " + n));
    out.println("errors: " + (byCode.isEmpty() ? "none" : String.join(", ", byCode)));
    if (ok == 0 && firstFailure != null) {
      throw session.failure(firstFailure);
    }
    return ExitCodes.OK;
  }

  /** The nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, int percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }
}
