package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.broker.embedded.EmbeddedBroker;
import dev.rabbitrpc.examples.replay.ReplayExample;
import dev.rabbitrpc.examples.streaming.StreamingExample;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcProxy;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntUnaryOperator;

/**
 * RabbitMQ's RPC tutorial with rabbit-rpc.
 *
 * <pre>
 * java -jar rabbit-rpc-examples.jar server                 # serve fib on rpc_queue until Ctrl-C
 * java -jar rabbit-rpc-examples.jar server --embedded      # the same, on an embedded broker on localhost:5672
 * java -jar rabbit-rpc-examples.jar client 30 10           # call a running server
 * java -jar rabbit-rpc-examples.jar client --plain 30      # call the tutorial's own (plain-text) server
 * java -jar rabbit-rpc-examples.jar demo 30                # server and client in one process
 * java -jar rabbit-rpc-examples.jar stream 5               # stream 5 orders, printed as they arrive
 * </pre>
 *
 * The broker is {@code RPC_AMQP_URI}, default {@code amqp://guest:guest@localhost:5672}. With
 * neither {@code RPC_AMQP_URI} nor a broker on localhost:5672, {@code demo} starts an embedded
 * broker in its own process and says so.
 */
public final class Main {
  /** Where {@code server --embedded} listens: the default broker port, so that {@code client} needs no settings. */
  static final int EMBEDDED_PORT = 5672;
  private static final String LOCALHOST = "localhost";

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
          if (args.length == 2 && args[1].equals("--embedded")) {
            return embeddedServer(out, err);
          }
          if (args.length > 1) {
            throw new UsageException("server takes no argument but --embedded, got '" + args[1] + "'");
          }
          return server(out);
        case "client":
          boolean plain = args.length > 1 && args[1].equals("--plain");
          IntUnaryOperator fibonacci = plain
              ? RpcProxy.create(PlainFibonacciService.class)::fib
              : RpcProxy.create(FibonacciService.class)::fib;
          return client(fibonacci, numbers(plain ? dropFlag(args) : args), out);
        case "demo":
          return demo(numbers(args), out);
        case "stream":
          return stream(numbers(args), out);
        case "pay":
          if (args.length > 1) {
            throw new UsageException("pay takes no argument, got '" + args[1] + "'");
          }
          return pay(out);
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

  /**
   * {@code server}: serves rpc_queue until the JVM exits. A queue it created (durable, as the
   * library declares queues) is deleted on exit if nothing else uses it, so that the tutorial's
   * Python server, which declares rpc_queue non-durable, can start after it.
   */
  private static int server(PrintStream out) {
    RpcClient client = RpcClient.builder().uri(brokerUri()).connectionName("rabbit-rpc example server").build();
    RpcServer server;
    try {
      server = client.export(FibonacciService.class, new FibonacciServiceImpl());
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
    out.println(" [x] Awaiting RPC requests");
    return serveUntilExit(() -> {
      server.closeAndDeleteCreatedQueue();
      client.close();
    });
  }

  /** {@code server --embedded}: an embedded broker on localhost:5672 and the server on it. */
  private static int embeddedServer(PrintStream out, PrintStream err) {
    EmbeddedBroker broker;
    try {
      broker = EmbeddedBroker.start(EMBEDDED_PORT);
    } catch (IllegalStateException e) {
      err.println("error: " + e.getMessage() + " — if a broker already runs there, use 'server' without --embedded");
      return 1;
    }
    RpcClient client = RpcClient.builder().uri(broker.uri()).connectionName("rabbit-rpc example server").build();
    RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl());
    out.println(" [*] Embedded broker on localhost:" + EMBEDDED_PORT + " (guest/guest): run 'client' in another terminal");
    out.println(" [x] Awaiting RPC requests");
    return serveUntilExit(() -> {
      server.close();
      client.close();
      broker.close();
    });
  }

  /** Blocks until the JVM exits (Ctrl-C, SIGTERM), then runs {@code stop} in the shutdown hook. */
  private static int serveUntilExit(AutoCloseable stop) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        stop.close();
      } catch (Exception e) {
        System.err.println("error while stopping: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }));
    try {
      stopped.await(); // until Ctrl-C; the JVM's exit ends this wait
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * Server and client in one process, on {@code RPC_AMQP_URI} or {@code rpc.amqp.uri} when set,
   * else on RabbitMQ at localhost:5672 when it answers, else on an embedded broker.
   */
  private static int demo(List<Integer> numbers, PrintStream out) {
    if (brokerConfigured() || reachable(LOCALHOST, EMBEDDED_PORT)) {
      return serveAndCall(RpcServer.export(FibonacciService.class, new FibonacciServiceImpl()),
          RpcProxy.create(FibonacciService.class), numbers, out);
    }
    try (EmbeddedBroker broker = EmbeddedBroker.start();
         RpcClient client = RpcClient.builder().uri(broker.uri()).connectionName("rabbit-rpc example demo").build()) {
      out.println(" [*] No broker on localhost:" + EMBEDDED_PORT + " and no RPC_AMQP_URI: using an embedded broker on "
          + "127.0.0.1:" + broker.port() + " (started in " + broker.startupTime().toMillis() + " ms)");
      return serveAndCall(client.export(FibonacciService.class, new FibonacciServiceImpl()),
          client.proxy(FibonacciService.class), numbers, out);
    }
  }

  /**
   * {@code stream N}: serves the orders service and streams N orders from it, printing each as it
   * arrives ({@link StreamingExample}); the broker as {@code demo} finds it.
   */
  /** {@code pay}: {@link ReplayExample} on the configured broker, else on an embedded one. */
  private static int pay(PrintStream out) {
    if (brokerConfigured() || reachable(LOCALHOST, EMBEDDED_PORT)) {
      try (RpcClient client = RpcClient.builder().uri(brokerUri()).connectionName("rabbit-rpc example pay").build()) {
        return ReplayExample.run(client, out);
      }
    }
    try (EmbeddedBroker broker = EmbeddedBroker.start();
         RpcClient client = RpcClient.builder().uri(broker.uri()).connectionName("rabbit-rpc example pay").build()) {
      return ReplayExample.run(client, out);
    }
  }

  private static int stream(List<Integer> numbers, PrintStream out) {
    if (numbers.size() != 1) {
      throw new UsageException("stream takes one number, the orders to stream");
    }
    if (brokerConfigured() || reachable(LOCALHOST, EMBEDDED_PORT)) {
      try (RpcClient client = RpcClient.builder().uri(brokerUri()).connectionName("rabbit-rpc example stream").build()) {
        return StreamingExample.run(client, numbers.get(0), out);
      }
    }
    try (EmbeddedBroker broker = EmbeddedBroker.start();
         RpcClient client = RpcClient.builder().uri(broker.uri()).connectionName("rabbit-rpc example stream").build()) {
      return StreamingExample.run(client, numbers.get(0), out);
    }
  }

  private static int serveAndCall(RpcServer server, FibonacciService fibonacci, List<Integer> numbers, PrintStream out) {
    try {
      out.println(" [x] Awaiting RPC requests");
      return client(fibonacci::fib, numbers, out);
    } finally {
      server.closeAndDeleteCreatedQueue(); // leaves no rpc_queue behind that the tutorial's server could not declare
    }
  }

  /** Whether the user named a broker, as the default client reads it. */
  private static boolean brokerConfigured() {
    String uri = System.getenv("RPC_AMQP_URI");
    return uri != null && !uri.isBlank() || System.getProperty("rpc.amqp.uri") != null;
  }

  /** The broker as the default client finds it: RPC_AMQP_URI, else -Drpc.amqp.uri, else localhost. */
  private static String brokerUri() {
    String uri = System.getenv("RPC_AMQP_URI");
    return uri != null && !uri.isBlank() ? uri : System.getProperty("rpc.amqp.uri", "amqp://guest:guest@localhost:5672");
  }

  private static boolean reachable(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Calls fib for each number (in JSON, or in plain text as the tutorial's Python server expects). */
  private static int client(IntUnaryOperator fibonacci, List<Integer> numbers, PrintStream out) {
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

  /**
   * The error in one line, with a hint where one helps: start RabbitMQ only when it cannot be
   * reached, start a server when nothing serves rpc_queue. A broker's refusal (its reply code and
   * text, e.g. a queue's arguments or permissions) speaks for itself.
   */
  private static String explain(RpcException e) {
    switch (e.code()) {
      case UNAVAILABLE:
        if (e.getMessage().contains("cannot connect to ")) {
          return e.getMessage() + " — start RabbitMQ (rabbitmq-server -detached) or point RPC_AMQP_URI at a broker"
              + " ('server --embedded' needs no RabbitMQ)";
        }
        return e.getMessage() + " — start 'server' (or 'server --embedded') first";
      case DEADLINE_EXCEEDED:
        if (e.getMessage().contains("while connecting to ")) { // something answers TCP there but not as a broker
          return e.getMessage() + " — is RabbitMQ (not something else) listening there, and running?";
        }
        return e.getMessage() + " — is a server running on rpc_queue?";
      default:
        return e.getMessage();
    }
  }

  private static int usage(PrintStream err) {
    err.println("usage: rabbit-rpc-examples.jar server [--embedded] | client [--plain] N... | demo N... | stream N | pay   (broker: RPC_AMQP_URI)");
    return 2;
  }

  private static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
