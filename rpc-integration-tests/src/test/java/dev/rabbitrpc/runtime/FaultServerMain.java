package dev.rabbitrpc.runtime;

import java.io.IOException;
import java.time.Duration;

/**
 * A Ledger server in its own JVM, for the fault suite to kill: prints {@code READY} once serving and
 * {@code EXEC <callId>} for each non-idempotent execution, so the parent counts executions across
 * processes.
 */
public final class FaultServerMain {
  private FaultServerMain() {}

  public static void main(String[] args) throws IOException {
    String uri = args[0];
    String queue = args[1];
    RpcClient client = RpcClient.builder().uri(uri).workers(4).shutdownGrace(Duration.ofSeconds(1)).build();
    client.export(Ledger.class, new Ledger.Impl(new java.util.concurrent.ConcurrentHashMap<>(), id -> {
      synchronized (System.out) {
        System.out.println("EXEC " + id);
        System.out.flush();
      }
    }), queue);
    System.out.println("READY");
    System.out.flush();
    // Serve until the parent closes our stdin or kills us.
    while (System.in.read() >= 0) {
      // ignore input
    }
    client.close();
  }
}
