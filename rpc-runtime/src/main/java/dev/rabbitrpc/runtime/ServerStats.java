package dev.rabbitrpc.runtime;

/**
 * A server's counters at one moment, from {@link RpcServer#stats()}: each counts since the server
 * was exported. An immutable value; take another snapshot to see later counts.
 *
 * @param failedOneWayRequests {@code @OneWay} requests that failed: not run (redelivered, expired,
 *     bad arguments) or whose handler threw. Each is also logged at WARN; nobody else hears of it.
 * @param expiredRequests requests answered with {@code DEADLINE_EXCEEDED} without running, because
 *     their deadline had passed
 * @param cancelledRequests requests answered with {@code CANCELLED} without running, because their
 *     caller's cancel notice had reached the server before their turn came
 * @param tooLargeRequests requests refused as {@link Rejection#TOO_LARGE}
 * @param unknownMethodRequests requests refused as {@link Rejection#UNKNOWN_METHOD}
 * @param unreadableRequests requests refused as {@link Rejection#UNREADABLE}
 * @param replayedReplies requests of {@code @Deduplicated} methods answered with the reply stored for
 *     an earlier attempt of their call ({@code rpc-replayed}), without running
 * @param inProgressWaits requests of {@code @Deduplicated} methods that waited for an earlier attempt
 *     of their call still running (then replayed its reply, or gave up: {@code busyRequests})
 * @param busyRequests requests of {@code @Deduplicated} methods answered {@code DEADLINE_EXCEEDED}
 *     because the earlier attempt of their call was still running at their deadline
 */
public record ServerStats(long failedOneWayRequests, long expiredRequests, long cancelledRequests,
    long tooLargeRequests, long unknownMethodRequests, long unreadableRequests, long replayedReplies,
    long inProgressWaits, long busyRequests) {

  /** Why a request was refused before any method ran; see {@link #rejectedRequests(Rejection)}. */
  public enum Rejection {
    /** Its body was larger than {@link RpcClient.Builder#maxMessageSize(int)}: {@code RESOURCE_EXHAUSTED}. */
    TOO_LARGE,
    /** It named a method the service does not have: {@code UNKNOWN_METHOD}. */
    UNKNOWN_METHOD,
    /**
     * It could not be read: an unsupported content type, a protocol version or header this server
     * does not speak, a malformed body or arguments of the wrong type ({@code PROTOCOL},
     * {@code INVALID_ARGUMENT}).
     */
    UNREADABLE
  }

  /**
   * Requests refused for {@code why} before any method ran (answered with an error, or rejected if
   * they had no {@code reply_to}); expired and cancelled requests are counted apart
   * ({@link #expiredRequests()}, {@link #cancelledRequests()}).
   */
  public long rejectedRequests(Rejection why) {
    switch (why) {
      case TOO_LARGE:
        return tooLargeRequests;
      case UNKNOWN_METHOD:
        return unknownMethodRequests;
      default:
        return unreadableRequests;
    }
  }

  /** The counters of a server now: its dispatcher's and its failed one-way requests. */
  static ServerStats of(Dispatcher dispatcher, long failedOneWay) {
    Deduplicator deduplicator = dispatcher.deduplicator();
    return new ServerStats(failedOneWay, dispatcher.expiredRequests(), dispatcher.cancelledRequests(),
        dispatcher.tooLargeRequests(), dispatcher.unknownMethodRequests(), dispatcher.unreadableRequests(),
        deduplicator == null ? 0 : deduplicator.replayedReplies(), deduplicator == null ? 0 : deduplicator.inProgressWaits(),
        deduplicator == null ? 0 : deduplicator.busyRequests());
  }
}
