package dev.rabbitrpc.cli;

import dev.rabbitrpc.api.RpcException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rabbit-rpc}, the command line of rabbit-rpc (docs/guide/cli.md): describe, call, ping and
 * benchmark a service on a queue, and compare two contracts. Every failure is one line on stderr,
 * {@code error: CODE: message}, and an exit status per code ({@link ExitCodes}); never a stack trace.
 *
 * <p>{@link #run} runs one command line and is what the tests call; it is not meant for
 * concurrent use (the commands print to the streams given).
 */
@Command(name = "rabbit-rpc", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Describe, call, ping and benchmark rabbit-rpc services; compare their contracts.",
    subcommands = {DescribeCommand.class, CallCommand.class, PingCommand.class, BenchCommand.class,
        ContractCommand.class},
    footer = {"", "Broker: --uri, else the environment variable RPC_AMQP_URI, else amqp://guest:guest@localhost:5672.",
        "Exit status: 0 done, 1 failed locally, 2 usage, 3 breaking changes (contract diff),",
        "10-20 the RpcException code (docs/guide/cli.md), 21 broker unreachable."})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin
  BrokerOptions broker;

  /** The process's environment, or a test's. */
  final Map<String, String> env;

  private Main(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs one command line, printing to {@code out} and {@code err}; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    PrintWriter stdout = new PrintWriter(out, true, StandardCharsets.UTF_8);
    PrintWriter stderr = new PrintWriter(err, true, StandardCharsets.UTF_8);
    CommandLine line = new CommandLine(new Main(env));
    line.setOut(stdout);
    line.setErr(stderr);
    line.setParameterExceptionHandler((e, arguments) -> {
      String command = e.getCommandLine().getCommandSpec().qualifiedName();
      stderr.println("error: USAGE: " + e.getMessage() + " (see " + command + " --help)");
      return ExitCodes.USAGE;
    });
    line.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      Failure failure = failure(e);
      stderr.println(failure.line());
      return failure.status();
    });
    int status = line.execute(args);
    stdout.flush();
    stderr.flush();
    return status;
  }

  /** Whatever a command threw, as the one line it prints and the status it exits with. */
  private static Failure failure(Exception e) {
    if (e instanceof Failure failure) {
      return failure;
    }
    if (e instanceof RpcException rpc) {
      return Failure.of(rpc, true); // the commands say themselves when the broker was never reached
    }
    if (e instanceof IllegalArgumentException) {
      return new Failure("USAGE", ExitCodes.USAGE, e.getMessage());
    }
    return new Failure("FAILED", ExitCodes.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a command: describe, call, ping, bench or contract");
  }

  /** The library's version: the resource the runtime's build writes (what a contract's {@code library} says). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      java.util.Properties properties = new java.util.Properties();
      try (java.io.InputStream in = dev.rabbitrpc.runtime.RpcClient.class.getResourceAsStream("rabbit-rpc.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {"rabbit-rpc-cli " + properties.getProperty("version", "unknown")};
    }
  }
}
