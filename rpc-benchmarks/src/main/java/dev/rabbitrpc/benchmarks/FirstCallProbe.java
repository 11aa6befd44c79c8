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
 * <p>Arguments: {@code raw|rabbit-rpc uri queue}: the queue of the raw echo or of the rabbit-rpc echo.
 * Only {@link #main} is meant to be called, once per JVM.
 */
public final class FirstCallProbe {
  static final String RESULT_PREFIX = "first-call-nanos=";

  private FirstCallProbe() {}

  /** Entry point of the child JVM. */
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    String mode = args[0];
    String uri = args[1];
    if (mode.equals("raw")) {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(uri);
      try (Connection connection = factory.newConnection("bench first call raw");
          RawClient client = new RawClient(connection, args[2])) {
        byte[] reply = client.call("0123456789abcdef".getBytes(StandardCharsets.US_ASCII),
            EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
        report(start, reply.length == 16);
      }
    } else {
      try (RpcClient client = RpcClient.builder().uri(uri).connectionName("bench first call").build()) {
        Payload payload = Payload.ofSize(16);
        report(start, client.proxy(EchoService.class, args[2]).echo(payload).equals(payload));
      }
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
