package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.broker.embedded.EmbeddedBroker;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * How fast the embedded broker starts and answers: start time, the round-trip latency of
 * sequential {@code fib(1)} calls through it (proxy → broker → server → reply, one process), then
 * the start time of a second broker in the same JVM.
 *
 * <pre>
 * java -cp examples/target/rabbit-rpc-examples.jar dev.rabbitrpc.examples.fibonacci.EmbeddedTiming 2000
 * </pre>
 *
 * A small measurement for the README, not a benchmark harness: one JVM, one calling thread,
 * {@code calls} warm-up calls first. A program, not an API: nothing here is meant to be shared
 * between threads.
 */
public final class EmbeddedTiming {
  private EmbeddedTiming() {}

  public static void main(String[] args) {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be positive, got " + calls);
    }
    run(calls, System.out);
  }

  static void run(int calls, PrintStream out) {
    try (EmbeddedBroker broker = EmbeddedBroker.start();
         RpcClient client = RpcClient.builder().uri(broker.uri()).connectionName("rabbit-rpc timing").build()) {
      out.printf(Locale.ROOT, "embedded broker start: %d ms%n", broker.startupTime().toMillis());
      try (RpcServer server = client.export(FibonacciService.class, new Quiet())) {
        FibonacciService fibonacci = client.proxy(FibonacciService.class, server.queue());
        for (int i = 0; i < calls; i++) {
          fibonacci.fib(1); // warm-up: JIT, connection, reply queue
        }
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
          long start = System.nanoTime();
          fibonacci.fib(1);
          nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        out.printf(Locale.ROOT, "round trip over %d calls: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms%n", calls,
            millis(nanos, 0.50), millis(nanos, 0.90), millis(nanos, 0.99));
      }
    }
    // Qpid's classes are loaded now: what a second broker in a test JVM costs.
    try (EmbeddedBroker again = EmbeddedBroker.start()) {
      out.printf(Locale.ROOT, "embedded broker start, again in this JVM: %d ms%n", again.startupTime().toMillis());
    }
  }

  private static double millis(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] / 1e6;
  }

  /** The example's service without its per-call print, so that printing is not measured. */
  private static final class Quiet implements FibonacciService {
    @Override
    public int fib(int n) {
      return FibonacciServiceImpl.compute(n);
    }
  }
}
