package dev.rabbitrpc.cli;

import dev.rabbitrpc.api.RpcException.Code;

/**
 * The exit statuses of {@code rabbit-rpc}: one per {@link Code}, so that a script can tell why a
 * command failed without reading its message (docs/guide/cli.md, "Exit status"). The switch has no
 * default: a code added to rpc-api does not compile here until it has a status.
 *
 * <p>Constants only.
 */
final class ExitCodes {
  /** Done; for {@code contract diff}, no breaking change. */
  static final int OK = 0;
  /** A local failure that is none of the codes: a contract file that cannot be read, an I/O error. */
  static final int FAILED = 1;
  /** The command line itself is wrong: an unknown command or option, a missing or malformed parameter. */
  static final int USAGE = 2;
  /** {@code contract diff} found a breaking change. */
  static final int BREAKING = 3;
  /** UNAVAILABLE because the broker could not be reached at all (as opposed to no server on the queue, {@code 11}). */
  static final int BROKER_UNREACHABLE = 21;

  private ExitCodes() {}

  /** The status of a failure with {@code code}. */
  static int of(Code code) {
    return switch (code) {
      case DEADLINE_EXCEEDED -> 10;
      case UNAVAILABLE -> 11;
      case CANCELLED -> 12;
      case INVALID_ARGUMENT -> 13;
      case UNKNOWN_METHOD -> 14;
      case APPLICATION_ERROR -> 15;
      case RESOURCE_EXHAUSTED -> 16;
      case INTERNAL -> 17;
      case PROTOCOL -> 18;
      case UNAUTHENTICATED -> 19;
      case PERMISSION_DENIED -> 20;
    };
  }
}
