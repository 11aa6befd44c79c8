package dev.rabbitrpc.cli;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;

/**
 * A command's failure as the one line it prints on stderr ({@code error: CODE: message}) and its
 * exit status ({@link ExitCodes}). Thrown by the commands for what they find wrong themselves
 * (an argument that does not fit its schema, a method the service does not have), and made from
 * an {@link RpcException} the library threw. Never carries a stack trace to the user.
 *
 * <p>Immutable.
 */
final class Failure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String label;
  private final int status;

  Failure(String label, int status, String message) {
    super(message, null, false, false);
    this.label = label;
    this.status = status;
  }

  /** A failure the CLI finds itself, with the code the server would have answered. */
  static Failure of(Code code, String message) {
    return new Failure(code.name(), ExitCodes.of(code), message);
  }

  /**
   * The library's exception: its code and message, on one line. {@code brokerReached} tells an
   * {@code UNAVAILABLE} with no server on the queue from one where no connection was ever made.
   */
  static Failure of(RpcException e, boolean brokerReached) {
    String message = oneLine(e.getMessage());
    if (e.code() == Code.UNAVAILABLE && !brokerReached) {
      return new Failure(Code.UNAVAILABLE.name(), ExitCodes.BROKER_UNREACHABLE, "the broker cannot be reached: " + message);
    }
    if (e.code() == Code.APPLICATION_ERROR && e.remoteType() != null && !message.contains(e.remoteType())) {
      message = e.remoteType() + ": " + message;
    }
    return new Failure(e.code().name(), ExitCodes.of(e.code()), message);
  }

  int status() {
    return status;
  }

  /** The line on stderr. */
  String line() {
    return "error: " + label + ": " + oneLine(getMessage());
  }

  private static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
