package dev.rabbitrpc.api;

import java.util.Objects;

/**
 * The one error type of rabbit-rpc: a {@link Code} saying what went wrong, and a message.
 *
 * <p>Compare {@link #code()}, not messages. For {@link Code#APPLICATION_ERROR} the remote
 * exception's class name is in {@link #remoteType()}; a remote stack trace is never carried.
 *
 * <p>Instances are immutable and thread-safe.
 */
public class RpcException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. The names are also the wire values of the {@code rpc-status} header. */
  public enum Code {
    /** The call's deadline passed before a reply arrived. */
    DEADLINE_EXCEEDED,
    /** The service could not be reached: no route, no consumer, or the connection was lost. */
    UNAVAILABLE,
    /** The call was cancelled by the caller, or the client was closed. */
    CANCELLED,
    /** The server could not decode the arguments, or they have the wrong count or types. */
    INVALID_ARGUMENT,
    /** The server's service has no method of that name. */
    UNKNOWN_METHOD,
    /** The server's implementation threw; see {@link RpcException#remoteType()}. */
    APPLICATION_ERROR,
    /** A message is too large, or too many calls are in flight. */
    RESOURCE_EXHAUSTED,
    /** A bug or unexpected state on either side. */
    INTERNAL,
    /** A peer sent a message this side cannot understand. */
    PROTOCOL,
    /**
     * The request does not say who sends it, or not in a way the server accepts (e.g. a missing or
     * invalid credential a {@code ServerInterceptor} checks).
     */
    UNAUTHENTICATED,
    /** The server knows who sends the request and does not allow it. */
    PERMISSION_DENIED
  }

  private final Code code;
  private final String remoteType;

  /** An error with a code and a message. */
  public RpcException(Code code, String message) {
    this(code, message, null, null);
  }

  /** An error with a code, a message and a local cause. */
  public RpcException(Code code, String message, Throwable cause) {
    this(code, message, null, cause);
  }

  /**
   * An error with a code, a message, the class name of a remote exception (may be null) and a
   * local cause (may be null).
   */
  public RpcException(Code code, String message, String remoteType, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.remoteType = remoteType;
  }

  /** What went wrong. */
  public Code code() {
    return code;
  }

  /** The class name of the exception the server's implementation threw, or null. */
  public String remoteType() {
    return remoteType;
  }

  @Override
  public String toString() {
    return "RpcException[" + code + "]: " + getMessage();
  }
}
