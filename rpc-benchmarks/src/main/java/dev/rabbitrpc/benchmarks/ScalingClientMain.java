package dev.rabbitrpc.benchmarks;

import dev.rabbitrpc.runtime.RpcClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A client process of the scaling scenario ({@link Scaling}), spawned by the harness
 * ({@link ChildJvm}): one {@link RpcClient} at its defaults calling {@link ScalingService} on a
 * queue. It connects and makes {@link #FIRST_CALLS} calls (so its connection, channel and reply
 * consumer exist), prints {@link ChildJvm#READY}, then runs the harness's commands until its
 * standard input closes:
 *
 * <pre>
 * load IN_FLIGHT WARM_UP_MILLIS WINDOW_MILLIS HANDLER_MILLIS
 *   -&gt; result WINDOW_NANOS SERVER=LATENCY_MICROS,LATENCY_MICROS,… SERVER=…
 * </pre>
 *
 * <p>Arguments: {@code uri queue id}.
 */
public final class ScalingClientMain {
  static final int FIRST_CALLS = 20;
  static final String RESULT = "result ";

  private ScalingClientMain() {}

  /** Entry point of the child JVM. */
  public static void main(String[] args) throws Exception {
    String uri = args[0];
    String queue = args[1];
    String id = args[2];
    try (RpcClient client = RpcClient.builder().uri(uri).connectionName("bench scaling client " + id).build()) {
      ScalingService service = client.proxy(ScalingService.class, queue);
      for (int i = 0; i < FIRST_CALLS; i++) {
        service.work(0).get(EndToEndBenchmark.CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      }
      ChildJvm.ready();
      BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = commands.readLine()) != null; ) {
        String[] words = line.split(" ");
        if (!words[0].equals("load")) {
          throw new IllegalArgumentException("unknown command: " + line);
        }
        int inFlight = Integer.parseInt(words[1]);
        int millis = Integer.parseInt(words[4]);
        ClosedLoop.Result result = new ClosedLoop().run(() -> service.work(millis), inFlight,
            Duration.ofMillis(Long.parseLong(words[2])), Duration.ofMillis(Long.parseLong(words[3])));
        System.out.println(format(result));
        System.out.flush();
      }
    }
  }

  private static String format(ClosedLoop.Result result) {
    StringBuilder line = new StringBuilder(RESULT).append(result.window().toNanos());
    for (Map.Entry<String, long[]> server : result.latenciesByServer().entrySet()) {
      StringJoiner micros = new StringJoiner(",");
      for (long nanos : server.getValue()) {
        micros.add(Long.toString(nanos / 1000));
      }
      line.append(' ').append(server.getKey()).append('=').append(micros);
    }
    return line.toString();
  }

  /** The harness's side: a {@link #format}ted line back into a result. */
  static ClosedLoop.Result parse(String line) {
    String[] words = line.substring(RESULT.length()).split(" ");
    Map<String, long[]> byServer = new TreeMap<>();
    for (int i = 1; i < words.length; i++) {
      int eq = words[i].indexOf('=');
      String values = words[i].substring(eq + 1);
      byServer.put(words[i].substring(0, eq), values.isEmpty() ? new long[0]
          : Arrays.stream(values.split(",")).mapToLong(v -> Long.parseLong(v) * 1000).toArray());
    }
    return new ClosedLoop.Result(Duration.ofNanos(Long.parseLong(words[0])), byServer);
  }
}
