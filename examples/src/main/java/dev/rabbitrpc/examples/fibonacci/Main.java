package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.RpcProxy;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntUnaryOperator;

/**
 * RabbitMQ's RPC tutorial with rabbit-rpc.
 *
 * <pre>
 * java -jar rabbit-rpc-examples.jar server          # serve fib on rpc_queue until Ctrl-C
 * java -jar rabbit-rpc-examples.jar client 30 10    # call a running server
 * java -jar rabbit-rpc-examples.jar client --plain 30  # call the tutorial's own (plain-text) server
 * java -jar rabbit-rpc-examples.jar demo 30         # server and client in one process
 * </pre>
 *
 * The broker is {@code RPC_AMQP_URI}, default {@code amqp://guest:guest@localhost:5672}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command and returns the process exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      return usage(err);
    }
    try {
      switch (args[0]) {
        case "server":
          return server(out);
        case "client":
          boolean plain = args.length > 1 && args[1].equals("--plain");
          return client(numbers(plain ? dropFlag(args) : args), plain, out);
        case "demo":
          List<Integer> numbers = numbers(args);
          RpcServer server = RpcServer.export(FibonacciService.class, new FibonacciServiceImpl());
          try {
            out.println(" [x] Awaiting RPC requests");
            return client(numbers, false, out);
          } finally {
            server.close();
          }
        default:
          return usage(err);
      }
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (RpcException e) {
      err.println("error: " + explain(e));
      return 1;
    }
  }

  private static int server(PrintStream out) {
    RpcServer server = RpcServer.export(FibonacciService.class, new FibonacciServiceImpl());
    out.println(" [x] Awaiting RPC requests");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    try {
      stopped.await(); // until Ctrl-C; the JVM's exit ends this wait
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Calls fib for each number: in JSON, or in plain text as the tutorial's Python server expects. */
  private static int client(List<Integer> numbers, boolean plain, PrintStream out) {
    IntUnaryOperator fibonacci = plain
        ? RpcProxy.create(PlainFibonacciService.class)::fib
        : RpcProxy.create(FibonacciService.class)::fib;
    for (int n : numbers) {
      out.println(" [x] Requesting fib(" + n + ")");
      out.println(" [.] Got " + fibonacci.applyAsInt(n));
    }
    return 0;
  }

  private static String[] dropFlag(String[] args) {
    String[] rest = new String[args.length - 1];
    rest[0] = args[0];
    System.arraycopy(args, 2, rest, 1, args.length - 2);
    return rest;
  }

  private static List<Integer> numbers(String[] args) {
    if (args.length < 2) {
      throw new UsageException(args[0] + " needs at least one number, e.g. '" + args[0] + " 30'");
    }
    List<Integer> numbers = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      int n;
      try {
        n = Integer.parseInt(args[i]);
      } catch (NumberFormatException e) {
        throw new UsageException("'" + args[i] + "' is not a whole number; give n between 0 and "
            + FibonacciServiceImpl.MAX_N);
      }
      if (n < 0 || n > FibonacciServiceImpl.MAX_N) {
        throw new UsageException("n must be between 0 and " + FibonacciServiceImpl.MAX_N + ", got " + n);
      }
      numbers.add(n);
    }
    return numbers;
  }

  private static String explain(RpcException e) {
    switch (e.code()) {
      case UNAVAILABLE:
        return e.getMessage() + " — start RabbitMQ (rabbitmq-server -detached) or point RPC_AMQP_URI at a broker,"
            + " and for 'client' start 'server' first";
      case DEADLINE_EXCEEDED:
        return e.getMessage() + " — is a server running on rpc_queue?";
      default:
        return e.getMessage();
    }
  }

  private static int usage(PrintStream err) {
    err.println("usage: rabbit-rpc-examples.jar server | client [--plain] N... | demo N...   (broker: RPC_AMQP_URI)");
    return 2;
  }

  private static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
