package dev.rabbitrpc.runtime;

import java.util.List;

/**
 * One immutable snapshot of a client's counters ({@link RpcClient#stats()}): each read once when the
 * snapshot was taken, so they may be a few calls apart from each other, never torn.
 *
 * @param pendingCalls calls in flight: waiting for their replies, or for the connection or a retry
 *     before they are sent
 * @param retries attempts of {@code @Idempotent} calls that failed with {@code UNAVAILABLE} and
 *     were sent again
 * @param droppedReplies replies dropped because no call waited for them (late after a deadline,
 *     duplicate, or foreign)
 * @param lateReplies replies that came after their call's deadline (counted in
 *     {@code droppedReplies} too), each logged at DEBUG with its method, how late it was and, if the
 *     server skipped the request, why
 * @param skippedLateReplies late replies from a server that took the request after its deadline and
 *     did not run it ({@link dev.rabbitrpc.api.RpcException.DeadlineCause#SKIPPED_EXPIRED}): a subset
 *     of {@code lateReplies}. Many of them mean requests wait in the queue (or in a server's
 *     prefetch) longer than their deadlines
 * @param recentLateReplies the last late replies, at most 32, oldest first
 * @param consumerProbes passive {@code queue.declare}s the consumer probe sent to learn whether calls
 *     that wait have a server (docs/RELIABILITY.md, "Fail fast"): what waiting calls cost the broker.
 *     While a queue keeps answering that it has consumers (a backlog), it is asked again only after
 *     a back-off doubling from 0.5 to 4 s
 * @param returnedOneWayRequests {@code @OneWay} requests sent without publisher confirms
 *     ({@link RpcClient.Builder#oneWayConfirms}) that the broker returned because no queue took them:
 *     the callers had returned already, so this count (and a WARN log line each) is the only trace
 * @param replayedReplies replies to {@code @Deduplicated} calls that the server had kept for an earlier
 *     attempt of the call (the same call key) and sent again instead of running the method
 *     ({@link ClientCall#replayed()}): a retry, or a caller calling again with its key, answered by
 *     the first run
 */
public record ClientStats(int pendingCalls, long retries, long droppedReplies, long lateReplies,
    long skippedLateReplies, List<LateReply> recentLateReplies, long consumerProbes, long returnedOneWayRequests,
    long replayedReplies) {
  public ClientStats {
    recentLateReplies = List.copyOf(recentLateReplies);
  }
}
