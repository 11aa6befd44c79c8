package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A reply's body to its call's outcome: the result, or the failure it names (plain text, JSON or
 * CBOR, in the format its content type names: a CBOR request's reply may be JSON, see
 * {@link #refusesFormat}). A {@code DEADLINE_EXCEEDED} answered while the call still waited says
 * where the time went.
 *
 * <p>Stateless and thread-safe.
 */
final class ReplyDecoder {
  /** A call's outcome: a value, or a failure. */
  record Outcome(Object value, Throwable failure) {}

  /** Decodes replies; its mappers are built on first use (see {@link Codec}). */
  private final Codec codec;
  /** Exception types the application lets replies instantiate (RpcClient.Builder.remoteExceptions). */
  private final Set<Class<? extends Throwable>> remoteExceptions;

  ReplyDecoder(Codec codec, Set<Class<? extends Throwable>> remoteExceptions) {
    this.codec = codec;
    this.remoteExceptions = remoteExceptions;
  }

  /**
   * @param expiredMillis the reply's {@code rpc-expired-ms}: the server did not run the request
   *     because its deadline had passed that long before (its clock); -1 if absent
   */
  Outcome decode(PendingCall call, WireFormat format, String status, byte[] body, long expiredMillis) {
    Object value;
    Throwable failure;
    try {
      if (call.method.plainText && (status == null || WireHeaders.STATUS_OK.equals(status))) {
        // The tutorial's servers reply with the bare result and no headers at all.
        value = PlainText.decodeResult(call.method, body);
        failure = null;
      } else if (call.method.plainText) {
        value = null;
        failure = PlainText.decodeFailure(call.method, status, body);
      } else if (WireHeaders.STATUS_OK.equals(status)) {
        value = WireBody.decodeResult(codec.mapper(format), call.method, body);
        failure = null;
      } else {
        value = null;
        failure = WireBody.decodeFailure(codec.mapper(format), call.method, status, body, remoteExceptions);
      }
    } catch (RuntimeException e) {
      value = null;
      failure = e;
    }
    if (failure instanceof RpcException && ((RpcException) failure).code() == Code.DEADLINE_EXCEEDED) {
      failure = serverDeadline(call, (RpcException) failure, expiredMillis);
    }
    return new Outcome(value, failure);
  }

  /**
   * Whether a reply says that its server did not read the request because it does not speak the
   * request's format (docs/PROTOCOL.md, "Negotiation"): a CBOR request answered {@code PROTOCOL}
   * in another format. A server that reads CBOR answers every CBOR request in CBOR, whatever its
   * outcome; one that does not (an older rabbit-rpc, a JSON-only peer) fails to read the body before
   * running anything and answers {@code PROTOCOL} in JSON.
   */
  static boolean refusesFormat(PendingCall call, WireFormat replyFormat, String status) {
    return call.format == WireFormat.CBOR && replyFormat != WireFormat.CBOR && Code.PROTOCOL.name().equals(status);
  }

  /**
   * A {@code DEADLINE_EXCEEDED} a server answered while the call still waited (its clock is ahead
   * of this one's, or its handler did not finish in time): a server took the request, and either
   * skipped it as expired ({@code rpc-expired-ms}) or ran out of time running it.
   */
  private static RpcException serverDeadline(PendingCall call, RpcException failure, long expiredMillis) {
    if (expiredMillis < 0) {
      return RpcException.deadlineExceeded(failure.getMessage(), RpcException.DeadlineCause.TAKEN);
    }
    return RpcException.deadlineExceeded(call.method.key + ": " + LateReplies.skippedMessage(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - call.sentAtNanos), expiredMillis),
        RpcException.DeadlineCause.SKIPPED_EXPIRED);
  }
}
