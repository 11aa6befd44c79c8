package dev.rabbitrpc.cli;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.ServiceContract;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ping QUEUE}: whether the service on a queue is there and answers. The queue's consumers
 * and ready messages (the broker's count, from a passive declare on a connection of its own: a
 * question to the broker, not a call), then {@code --count} describe requests timed one after the
 * other (min/avg/max), and the server's library and protocol version from the first answer. A
 * server that does not describe itself answers {@code UNKNOWN_METHOD}: still a round trip. One
 * run, one thread.
 */
@Command(name = "ping", mixinStandardHelpOptions = true,
    description = "The consumers on QUEUE, the round trip of describe requests to its server (min/avg/max)"
        + " and the server's library and protocol version.")
final class PingCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  Main main;

  @Parameters(index = "0", paramLabel = "QUEUE", description = "The service's queue.")
  String queue;

  @Option(names = {"-n", "--count"}, defaultValue = "3", description = "How many describe requests to time. Default: ${DEFAULT-VALUE}.")
  int count;

  @Override
  public Integer call() {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1, not " + count);
    }
    PrintWriter out = spec.commandLine().getOut();
    AMQP.Queue.DeclareOk counts = counts();
    out.println("queue " + queue + ": " + counts.getConsumerCount() + " consumer" + (counts.getConsumerCount() == 1 ? "" : "s")
        + ", " + counts.getMessageCount() + " message" + (counts.getMessageCount() == 1 ? "" : "s") + " ready");
    try (BrokerOptions.Session session = main.broker.connect()) {
      String server = null;
      long min = Long.MAX_VALUE;
      long max = 0;
      long total = 0;
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        ServiceContract contract = null;
        try {
          contract = session.describe(queue);
        } catch (Failure failure) {
          if (failure.status() != ExitCodes.of(Code.UNKNOWN_METHOD)) {
            throw failure;
          }
        }
        long took = System.nanoTime() - start;
        min = Math.min(min, took);
        max = Math.max(max, took);
        total += took;
        if (server == null) {
          server = contract == null ? "does not describe itself (answered UNKNOWN_METHOD)"
              : contract.service() + ", " + contract.library() + ", protocol " + contract.protocol();
        }
      }
      out.println("server: " + server);
      out.println(String.format(Locale.ROOT, "round trip (%d describe%s): min %.2f ms, avg %.2f ms, max %.2f ms",
          count, count == 1 ? "" : "s", min / 1e6, total / 1e6 / count, max / 1e6));
    }
    return ExitCodes.OK;
  }

  /** The broker's count of the queue. */
  private AMQP.Queue.DeclareOk counts() {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(main.broker.uri());
    } catch (Exception e) {
      throw new IllegalArgumentException("--uri is not an AMQP URI: " + e.getClass().getSimpleName());
    }
    factory.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, main.broker.timeout.toMillis()));
    factory.setAutomaticRecoveryEnabled(false);
    Connection connection;
    try {
      connection = factory.newConnection("rabbit-rpc cli ping");
    } catch (IOException | TimeoutException e) {
      throw new Failure(Code.UNAVAILABLE.name(), ExitCodes.BROKER_UNREACHABLE, "the broker cannot be reached: cannot connect to "
          + factory.getHost() + ":" + factory.getPort() + ": " + reason(e));
    }
    try (connection) {
      Channel channel = connection.createChannel();
      return channel.queueDeclarePassive(queue);
    } catch (IOException e) {
      throw Failure.of(Code.UNAVAILABLE, "queue " + queue + " does not exist, or cannot be seen: " + reason(e));
    }
  }

  private static String reason(Exception e) {
    Throwable cause = e;
    while (cause.getCause() != null && (cause.getMessage() == null || cause instanceof IOException)) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    if (cause instanceof com.rabbitmq.client.ShutdownSignalException signal && signal.getReason() instanceof AMQP.Channel.Close close) {
      message = close.getReplyText();
    }
    return message == null ? cause.getClass().getSimpleName() : message;
  }
}
