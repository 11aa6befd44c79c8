package dev.rabbitrpc.cli;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.RpcClient;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options every command that talks to a broker shares, given before or after the command's name: the broker, configured like the
 * library ({@code --uri}, else {@code RPC_AMQP_URI}, else localhost), the calls' timeout and
 * {@code --verbose}. {@link #connect} makes the command's one client.
 *
 * <p>Filled in by picocli, then read by one command on one thread.
 */
final class BrokerOptions {
  static final String DEFAULT_URI = "amqp://guest:guest@localhost:5672";

  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec mixee;

  @Option(names = "--uri", scope = CommandLine.ScopeType.INHERIT, paramLabel = "URI",
      description = "The broker, e.g. amqp://user:pass@host:5672/vhost (amqps:// for TLS). Default: $RPC_AMQP_URI, else "
          + DEFAULT_URI + ".")
  String uri;

  @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
      description = "Each call's deadline: 500ms, 10s, 2m or ISO-8601 (PT10S). Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT, description = "Log the library's and amqp-client's messages on stderr.")
  boolean verbose;

  /** The broker's URI as chosen. */
  String uri() {
    if (uri != null && !uri.isBlank()) {
      return uri;
    }
    String fromEnv = ((Main) mixee.root().userObject()).env.get("RPC_AMQP_URI");
    return fromEnv == null || fromEnv.isBlank() ? DEFAULT_URI : fromEnv;
  }

  /** The command's client: the broker chosen, {@link #timeout} as its default timeout. */
  Session connect() {
    // slf4j-simple reads its level when the first logger is made: set it before the library makes one.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "off");
    }
    return new Session(RpcClient.builder().uri(uri()).timeout(timeout).connectionName("rabbit-rpc cli").build());
  }

  /**
   * A command's client, closed with it. {@link #failure} turns the library's exception into the
   * command's, telling a broker never reached from a queue nobody serves.
   */
  static final class Session implements AutoCloseable {
    final RpcClient client;
    private volatile boolean connectedOnce;

    Session(RpcClient client) {
      this.client = client;
    }

    /** Runs one use of the client; its exception becomes the command's {@link Failure}. */
    <T> T call(java.util.function.Supplier<T> action) {
      try {
        T result = action.get();
        connectedOnce = true;
        return result;
      } catch (RpcException e) {
        throw failure(e);
      }
    }

    /**
     * The contract of the service on {@code queue}. A server that does not answer {@code rpc.describe}
     * ({@code UNKNOWN_METHOD}) is one with {@code describable(false)} or not a rabbit-rpc server: said so.
     */
    dev.rabbitrpc.runtime.ServiceContract describe(String queue) {
      try {
        return call(() -> client.describe(queue));
      } catch (Failure failure) {
        if (failure.status() == ExitCodes.of(RpcException.Code.UNKNOWN_METHOD)) {
          throw Failure.of(RpcException.Code.UNKNOWN_METHOD, "the server on " + queue + " does not describe itself"
              + " (describable(false), or a peer without rpc.describe): " + failure.getMessage());
        }
        throw failure;
      }
    }

    Failure failure(RpcException e) {
      return Failure.of(e, connectedOnce || client.isConnected());
    }

    @Override
    public void close() {
      client.close();
    }
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h} or an ISO-8601 duration; positive. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
      Matcher shortForm = SHORT.matcher(value.trim());
      Duration duration;
      if (shortForm.matches()) {
        long amount = Long.parseLong(shortForm.group(1));
        duration = switch (shortForm.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(amount);
          default -> Duration.ofHours(amount);
        };
      } else {
        try {
          duration = Duration.parse(value.trim());
        } catch (java.time.format.DateTimeParseException e) {
          throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: write 500ms, 10s, 2m, 1h or PT10S");
        }
      }
      if (duration.isZero() || duration.isNegative()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration");
      }
      return duration;
    }
  }
}
