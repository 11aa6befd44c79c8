package dev.rabbitrpc.examples.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The observability example against the real broker: what it prints is what its meters and spans say. */
class ObservabilityExampleIT {
  private static final String METHOD = StockService.class.getName() + "/reserve";

  @Test
  void printsTheTimersByStatusAndTheOneTraceOfClientAndServerSpans() throws Exception {
    String uri = System.getenv("RPC_AMQP_URI");
    String queue = "observability-example-" + UUID.randomUUID().toString().substring(0, 8);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Main.Report report = Main.run(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri, queue,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    // The calls: three reserved, the toner refused with the declared exception, as its type.
    assertTrue(out.contains(" [.] reserve(ink, 2): 98 left\n"), out);
    assertTrue(out.contains(" [.] reserve(pens, 5): 95 left\n"), out);
    assertTrue(out.contains(" [.] reserve(toner, 1) failed: OutOfStockException: toner is out of stock\n"), out);

    // The timers, client and server, by status: 3 OK and 1 APPLICATION_ERROR on each side.
    assertEquals(Map.of(
        "rabbit.rpc.client " + METHOD + " OK", 3L, "rabbit.rpc.client " + METHOD + " APPLICATION_ERROR", 1L,
        "rabbit.rpc.server " + METHOD + " OK", 3L, "rabbit.rpc.server " + METHOD + " APPLICATION_ERROR", 1L),
        report.timers());
    for (String line : new String[] {
        " [x] rabbit.rpc.client " + METHOD + " rpc.status_code=OK: 3 calls, mean ",
        " [x] rabbit.rpc.client " + METHOD + " rpc.status_code=APPLICATION_ERROR: 1 call, mean ",
        " [x] rabbit.rpc.server " + METHOD + " rpc.status_code=OK: 3 calls, mean ",
        " [x] rabbit.rpc.server " + METHOD + " rpc.status_code=APPLICATION_ERROR: 1 call, mean "}) {
      assertTrue(out.contains(line), line + "\n" + out);
    }

    // One trace: the order's span, four client spans under it, each server span under its client span.
    assertEquals(1, report.traceIds().size(), () -> "trace ids " + report.traceIds());
    String traceId = report.traceIds().iterator().next();
    Matcher printed = Pattern.compile(" \\[x] trace ([0-9a-f]{32}): 4 client and 4 server spans, one trace\n").matcher(out);
    assertTrue(printed.find(), out);
    assertEquals(traceId, printed.group(1));
    List<SpanData> spans = report.spans();
    SpanData order = spans.stream().filter(span -> span.getName().equals("stock.order")).findFirst().orElseThrow();
    assertEquals(traceId, order.getTraceId());
    List<SpanData> clients = spans.stream().filter(span -> span.getKind() == SpanKind.CLIENT).toList();
    List<SpanData> servers = spans.stream().filter(span -> span.getKind() == SpanKind.SERVER).toList();
    assertEquals(4, clients.size(), spans::toString);
    assertEquals(4, servers.size(), spans::toString);
    for (SpanData client : clients) {
      assertEquals(order.getSpanId(), client.getParentSpanId(), "a call's span is the order's child");
    }
    for (SpanData server : servers) {
      assertTrue(clients.stream().anyMatch(client -> client.getSpanId().equals(server.getParentSpanId())),
          () -> "the server span " + server + " has a client span for parent");
    }
  }
}
