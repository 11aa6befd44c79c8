package dev.rabbitrpc.examples.observability;

import dev.rabbitrpc.micrometer.RabbitRpcObservation;
import dev.rabbitrpc.micrometer.RpcClientMetrics;
import dev.rabbitrpc.micrometer.RpcMeterObservationHandler;
import dev.rabbitrpc.micrometer.RpcServerMetrics;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Metrics and tracing with rpc-micrometer, without Spring: a client and a server in one process,
 * instrumented on one {@link ObservationRegistry} with Micrometer timers (a
 * {@link SimpleMeterRegistry}) and OpenTelemetry spans ({@link Tracing}). Inside one
 * {@code stock.order} observation it makes four calls, the last of which fails with the service's
 * declared {@link StockService.OutOfStockException}; then it prints the per-method timers of the
 * client and the server with their status codes, and the one trace id the client and server spans
 * share.
 *
 * <pre>
 * java -cp examples/target/rabbit-rpc-examples.jar dev.rabbitrpc.examples.observability.Main [QUEUE]
 * </pre>
 *
 * <p>The broker is {@code RPC_AMQP_URI}, default {@code amqp://guest:guest@localhost:5672}; the queue
 * {@code observability_stock} unless given, deleted on exit if the example created it. The spans are
 * also logged (through {@code java.util.logging}, on standard error).
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class Main {
  private Main() {}

  /**
   * What a run observed.
   *
   * @param timers the calls each timer counted, by {@code name method status}
   * @param traceIds the trace ids of the run's client and server spans: one, when all is well
   * @param spans every span the run finished
   */
  record Report(Map<String, Long> timers, Set<String> traceIds, List<SpanData> spans) {}

  /**
   * Runs the example.
   *
   * @param args {@code [QUEUE]}
   * @throws Exception if the broker cannot be reached or refuses the queue
   */
  public static void main(String[] args) throws Exception {
    String uri = System.getenv("RPC_AMQP_URI");
    String queue = args.length > 0 ? args[0] : "observability_stock";
    run(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri, queue, System.out);
  }

  static Report run(String uri, String queue, PrintStream out) throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Tracing tracing = new Tracing()) {
      ObservationRegistry observations = ObservationRegistry.create();
      observations.observationConfig()
          .observationHandler(new DefaultMeterObservationHandler(meters))    // timers
          .observationHandler(new RpcMeterObservationHandler(meters));       // in-flight gauges, retries
      tracing.registerOn(observations);                                    // spans, W3C trace context
      RpcClient client = RabbitRpcObservation.instrument(RpcClient.builder().uri(uri), observations).build();
      RpcServer server = client.export(StockService.class, new StockService.Impl(), queue);
      new RpcClientMetrics(client).bindTo(meters);  // late/dropped replies, pending calls
      new RpcServerMetrics(server).bindTo(meters);  // requests skipped (expired, cancelled) and rejected (by reason)
      try {
        out.println(" [x] Serving " + server.queue());
        StockService stock = client.proxy(StockService.class, queue);
        // One order, one trace: the calls' client spans are children of the order's span.
        Observation.createNotStarted("stock.order", observations).observe(() -> order(stock, out));
      } finally {
        server.closeAndDeleteCreatedQueue();
        client.close();
      }
      Map<String, Long> timers = printTimers(meters, out);
      List<SpanData> spans = tracing.finishedSpans();
      Set<String> traceIds = spans.stream()
          .filter(span -> span.getKind() == SpanKind.CLIENT || span.getKind() == SpanKind.SERVER)
          .map(SpanData::getTraceId).collect(Collectors.toCollection(TreeSet::new));
      out.println(String.format(Locale.ROOT, " [x] trace %s: %d client and %d server spans%s",
          String.join(", ", traceIds), count(spans, SpanKind.CLIENT), count(spans, SpanKind.SERVER),
          traceIds.size() == 1 ? ", one trace" : ", " + traceIds.size() + " traces"));
      return new Report(timers, traceIds, spans);
    }
  }

  private static void order(StockService stock, PrintStream out) {
    String[][] lines = {{"ink", "2"}, {"paper", "10"}, {"pens", "5"}, {"toner", "1"}};
    for (String[] line : lines) {
      int quantity = Integer.parseInt(line[1]);
      try {
        out.println(" [.] reserve(" + line[0] + ", " + quantity + "): " + stock.reserve(line[0], quantity) + " left");
      } catch (StockService.OutOfStockException e) {
        out.println(" [.] reserve(" + line[0] + ", " + quantity + ") failed: OutOfStockException: " + e.getMessage());
      }
    }
  }

  /** Prints every rabbit-rpc timer, client then server, one line a method and status; returns their counts. */
  private static Map<String, Long> printTimers(SimpleMeterRegistry meters, PrintStream out) {
    Map<String, Long> counts = new java.util.LinkedHashMap<>();
    for (String name : new String[] {RabbitRpcObservation.CLIENT.getName(), RabbitRpcObservation.SERVER.getName()}) {
      List<Timer> timers = new ArrayList<>(meters.find(name).timers());
      timers.sort(Comparator.comparing((Timer timer) -> timer.getId().getTag("rpc.method"))
          .thenComparing(timer -> timer.getId().getTag("rpc.status_code")));
      for (Timer timer : timers) {
        String key = name + " " + timer.getId().getTag("rpc.method") + " " + timer.getId().getTag("rpc.status_code");
        counts.put(key, timer.count());
        out.println(String.format(Locale.ROOT, " [x] %s rpc.status_code=%s: %d call%s, mean %.1f ms", key.substring(0,
            key.lastIndexOf(' ')), timer.getId().getTag("rpc.status_code"), timer.count(), timer.count() == 1 ? "" : "s",
            timer.mean(TimeUnit.MILLISECONDS)));
      }
    }
    return counts;
  }

  private static long count(List<SpanData> spans, SpanKind kind) {
    return spans.stream().filter(span -> span.getKind() == kind).count();
  }
}
