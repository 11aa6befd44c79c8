package dev.rabbitrpc.examples.replay;

import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;

/**
 * Serves {@link Payments} with a reply store, then charges the same payment twice — as a caller that
 * restarted and retried would — and shows that it ran once: {@code java -jar rabbit-rpc-examples.jar pay}
 * (broker: {@code RPC_AMQP_URI}).
 */
public final class ReplayExample {
  private ReplayExample() {}

  /** Runs the example on {@code client}'s broker; returns the process exit code. */
  public static int run(RpcClient client, PrintStream out) {
    PaymentsImpl implementation = new PaymentsImpl();
    InMemoryReplyStore store = new InMemoryReplyStore();
    RpcServer server = client.server(Payments.class, implementation)
        .replyStore(store)   // one server process; several: JdbcReplyStore.builder(dataSource).build()
        .export();
    try {
      Payments payments = client.proxy(Payments.class);
      out.println(" [.] " + payments.charge("payment-1", "acme", 1250));
      out.println(" [.] " + payments.charge("payment-1", "acme", 1250) + " (again: the kept reply)");
      out.printf(" [x] %d charge ran, %d reply replayed%n", implementation.runs(), server.stats().replayedReplies());
      return 0;
    } finally {
      server.closeAndDeleteCreatedQueue();
      store.close();
    }
  }
}
