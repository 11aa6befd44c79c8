package dev.rabbitrpc.api;

import java.util.Objects;

/**
 * The one error type of rabbit-rpc: a {@link Code} saying what went wrong, and a message.
 *
 * <p>Compare {@link #code()}, not messages. For {@link Code#APPLICATION_ERROR} the remote
 * exception's class name is in {@link #remoteType()}; a remote stack trace is never carried. For
 * {@link Code#DEADLINE_EXCEEDED}, {@link #deadlineCause()} says where the time went, as far as it
 * could be known cheaply when the deadline passed.
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

  /**
   * Where the time of a call that ended with {@link Code#DEADLINE_EXCEEDED} went, as far as the
   * client knew when its deadline passed; see {@link RpcException#deadlineCause()}. The caller is
   * never kept waiting past its deadline to find out: the client uses what it knew at that instant
   * (the message says how old that knowledge is), and what it learns later (a late reply, a server
   * that skipped the request) is counted and logged as a late reply instead. Values may be added;
   * treat an unknown one as {@link #UNKNOWN}.
   */
  public enum DeadlineCause {
    /**
     * Probably still waiting in its queue: the broker's last count of the queue, taken after the
     * request was sent, had messages ready in it. Only probably: a count does not say which
     * messages, so the request may have been delivered while others sent after it wait. Servers
     * are too slow or too few for the queue.
     */
    QUEUED,
    /**
     * A server had taken the request and did not answer in time: the broker's last count of the
     * queue, taken after the request was sent, had no message ready in it, or the server itself
     * answered {@code DEADLINE_EXCEEDED} after taking it. The handler is slow or stuck.
     */
    TAKEN,
    /**
     * A server took the request when its deadline had already passed and did not run it (its reply
     * says so, docs/PROTOCOL.md {@code rpc-expired-ms}); it sat in the queue, or in the server's
     * prefetch, too long.
     */
    SKIPPED_EXPIRED,
    /** The request was never sent: the deadline passed before, e.g. while connecting. */
    NOT_SENT,
    /**
     * A streaming call made no progress for its idle timeout ({@code @Timeout(idle)}): the caller
     * waited that long for an item (the server is slow or gone), or the server waited that long for
     * the caller to ask for more (the caller stopped reading). The stream's own deadline had not passed.
     */
    STREAM_IDLE,
    /** Nothing is known about where the time went (e.g. the queue was not counted since the request was sent). */
    UNKNOWN
  }

  private final Code code;
  private final String remoteType;
  private final DeadlineCause deadlineCause;

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
    this(code, message, remoteType, cause, null);
  }

  private RpcException(Code code, String message, String remoteType, Throwable cause, DeadlineCause deadlineCause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.remoteType = remoteType;
    this.deadlineCause = deadlineCause;
  }

  /**
   * A {@link Code#DEADLINE_EXCEEDED} error that says where the call's time went.
   *
   * @param message human-readable, saying what is known and how old that knowledge is
   * @param deadlineCause where the time went; null means {@link DeadlineCause#UNKNOWN}
   */
  public static RpcException deadlineExceeded(String message, DeadlineCause deadlineCause) {
    return new RpcException(Code.DEADLINE_EXCEEDED, message, null, null, deadlineCause);
  }

  /**
   * The same error with another message (e.g. prefixed with the method), keeping its code, remote
   * type, cause and deadline cause.
   */
  public RpcException withMessage(String message) {
    return new RpcException(code, message, remoteType, getCause(), deadlineCause);
  }

  /** What went wrong. */
  public Code code() {
    return code;
  }

  /** The class name of the exception the server's implementation threw, or null. */
  public String remoteType() {
    return remoteType;
  }

  /**
   * For {@link Code#DEADLINE_EXCEEDED}, where the call's time went: never null, {@link
   * DeadlineCause#UNKNOWN} when not known. Null for every other code. Few values, so it suits a
   * metric tag; the message has the details (counts, milliseconds).
   */
  public DeadlineCause deadlineCause() {
    if (code != Code.DEADLINE_EXCEEDED) {
      return null;
    }
    return deadlineCause == null ? DeadlineCause.UNKNOWN : deadlineCause;
  }

  @Override
  public String toString() {
    return "RpcException[" + code + "]: " + getMessage();
  }
}
