package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.runtime.RpcProxy;
import dev.rabbitrpc.runtime.RpcServer;

/**
 * README's quickstart, runnable: the server and the client of {@link FibonacciService} in one process
 * (in a real deployment, two). The broker is {@code RPC_AMQP_URI}, else the system property
 * {@code rpc.amqp.uri}, else RabbitMQ on localhost:5672.
 *
 * <pre>
 * java -cp examples/target/rabbit-rpc-examples.jar dev.rabbitrpc.examples.fibonacci.Quickstart
 * </pre>
 *
 * <p>README.md quotes the lines between the imports and the end of {@code main}'s two calls; the
 * documentation test {@code DocsLinksTest} checks that it still does.
 */
public final class Quickstart {
  private Quickstart() {}

  public static void main(String[] args) {
    RpcServer server = RpcServer.export(FibonacciService.class, new FibonacciServiceImpl()); // server process
    int r = RpcProxy.create(FibonacciService.class).fib(30);                                  // client process: 832040
    System.out.println(" [.] Got " + r);
    server.closeAndDeleteCreatedQueue(); // leaves no durable rpc_queue in the way of the tutorial's Python server
  }
}
