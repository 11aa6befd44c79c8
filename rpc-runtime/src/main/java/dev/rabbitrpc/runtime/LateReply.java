package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;

/**
 * A reply that arrived after its call had failed with {@code DEADLINE_EXCEEDED}; the caller never
 * saw it. Logged at DEBUG as it arrives; see {@link ClientStats#recentLateReplies()}.
 *
 * <p>Immutable.
 *
 * @param method the method, as {@code Interface.method}
 * @param correlationId the request's correlation id
 * @param cause {@link RpcException.DeadlineCause#SKIPPED_EXPIRED} if the server did not run the
 *     request because its deadline had passed when the server took it (the reply carried {@code
 *     rpc-expired-ms}); {@link RpcException.DeadlineCause#TAKEN} if a server took it and answered late
 * @param status the reply's {@code rpc-status}
 * @param lateMillis how long after the call's deadline the reply arrived
 * @param queuedMillis for {@code SKIPPED_EXPIRED}, how long the request took from being sent to the
 *     server's answer, measured by this client's clock: its time in the queue (or the server's
 *     prefetch), plus the reply's trip; -1 otherwise
 */
public record LateReply(String method, String correlationId, RpcException.DeadlineCause cause, String status,
    long lateMillis, long queuedMillis) {}
