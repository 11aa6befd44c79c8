package dev.rabbitrpc.examples.streaming;

import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;
import java.util.stream.Stream;

/**
 * Serves {@link Orders} and streams {@code count} orders from it, printing each as it arrives, then
 * the total: {@code java -jar rabbit-rpc-examples.jar stream 5} (broker: {@code RPC_AMQP_URI}).
 */
public final class StreamingExample {
  private StreamingExample() {}

  /** Runs the example on {@code client}'s broker; returns the process exit code. */
  public static int run(RpcClient client, int count, PrintStream out) {
    RpcServer server = client.export(Orders.class, new OrdersImpl());
    try {
      Orders orders = client.proxy(Orders.class);
      long cents = 0;
      try (Stream<Order> stream = orders.export(count)) {     // items arrive as the server makes them
        for (Order order : (Iterable<Order>) stream::iterator) {
          out.println(" [.] order " + order.id() + " for " + order.customer());
          cents += order.cents();
        }
      }                                                       // closing early would cancel the rest
      out.printf(" [x] %d orders, %d.%02d in all%n", count, cents / 100, cents % 100);
      return 0;
    } finally {
      server.closeAndDeleteCreatedQueue();
    }
  }
}
