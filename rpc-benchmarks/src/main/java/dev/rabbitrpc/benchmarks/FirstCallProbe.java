package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a fresh JVM spawned by the harness: connects and makes one call, then prints how long
 * that took from the start of {@code main}. {@code raw} uses amqp-client by hand (no JSON),
 * {@code rabbit-rpc} a client and proxy built from scratch. The echo servers run in the parent.
 *
 * <p>Arguments: {@code raw|rabbit-rpc uri queue [calls]}: the queue of the raw echo or of the
 * rabbit-rpc echo; with {@code calls} (default 1), that many sequential calls in all, the first
 * included, and the time to the last printed too.
 * Only {@link #main} is meant to be called, once per JVM.
 */
public final class FirstCallProbe {
  static final String RESULT_PREFIX = "first-call-nanos=";
  /** A second line, for profiling by hand: where the first call's time went, phase by phase, in ms. */
  static final String PHASES_PREFIX = "first-call-phases=";
  /** With a count of calls: the time from the start of {@code main} to the last of them, a new JVM's warm-up. */
  static final String CALLS_PREFIX = "first-calls-nanos=";

  private FirstCallProbe() {}

  /** Entry point of the child JVM. */
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    String mode = args[0];
    String uri = args[1];
    int calls = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    if (mode.equals("raw")) {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(uri);
      try (Connection connection = factory.newConnection("bench first call raw");
          RawClient client = new RawClient(connection, args[2])) {
        long connected = System.nanoTime();
        byte[] reply = client.call("0123456789abcdef".getBytes(StandardCharsets.US_ASCII),
            EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
        report(start, reply.length == 16);
        phases("connect", connected - start, "call", System.nanoTime() - connected);
        for (int i = 1; i < calls; i++) {
          client.call("0123456789abcdef".getBytes(StandardCharsets.US_ASCII), EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
        }
        reportCalls(start, calls);
      }
    } else {
      try (RpcClient client = RpcClient.builder().uri(uri).connectionName("bench first call").build()) {
        long built = System.nanoTime();
        Payload payload = Payload.ofSize(16);
        EchoService proxy = client.proxy(EchoService.class, args[2]); // starts connecting, then parses
        long proxied = System.nanoTime();
        report(start, proxy.echo(payload).equals(payload));
        phases("build", built - start, "proxy", proxied - built, "call", System.nanoTime() - proxied);
        for (int i = 1; i < calls; i++) {
          proxy.echo(payload);
        }
        reportCalls(start, calls);
      }
    }
  }

  private static void phases(Object... namesAndNanos) {
    StringBuilder line = new StringBuilder(PHASES_PREFIX);
    for (int i = 0; i < namesAndNanos.length; i += 2) {
      line.append(i == 0 ? "" : " ").append(namesAndNanos[i]).append(':')
          .append(String.format(java.util.Locale.ROOT, "%.1f", (Long) namesAndNanos[i + 1] / 1e6));
    }
    System.out.println(line);
  }

  private static void reportCalls(long start, int calls) {
    if (calls > 1) {
      System.out.println(CALLS_PREFIX + (System.nanoTime() - start));
    }
  }

  private static void report(long start, boolean replyOk) {
    long elapsed = System.nanoTime() - start;
    if (!replyOk) {
      throw new IllegalStateException("wrong reply");
    }
    System.out.println(RESULT_PREFIX + elapsed);
  }
}
