package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one client that wait for replies, by correlation id, and what ends each: a reply
 * (decoded by the {@link ReplyDecoder}), a return, a lost channel or connection, its deadline.
 * Every way out removes the entry, so the map never grows beyond the calls in flight, and every
 * way out completes through {@link Completions}. A reply no call waits for is dropped and counted,
 * and told to {@link LateReplies}, which knows whether it is late. A call that expires says where
 * its time went, from what {@link QueueCounts} knew then.
 *
 * <p>Thread-safe.
 */
final class ReplyRouter implements ReplyListener {
  private static final Logger log = LoggerFactory.getLogger(ReplyRouter.class);

  private final ConcurrentHashMap<String, PendingCall> pending = new ConcurrentHashMap<>();
  private final LongAdder droppedReplies = new LongAdder();
  private final LongAdder replayedReplies = new LongAdder();
  private final ReplyDecoder decoder;
  private final Completions completions;
  /** The calls that expired, to know a late reply from a foreign one. */
  final LateReplies late;
  /** What the broker last said about each queue, for the messages of calls that expire. */
  final QueueCounts queueCounts;
  /** A router with parts of its own (a unit test's). */
  ReplyRouter(Codec codec, Executor asyncExecutor) {
    this(new ReplyDecoder(codec, Set.of()), new LateReplies(), new Completions(asyncExecutor),
        new QueueCounts(Deadline.SYSTEM_TICKER));
  }

  ReplyRouter(ReplyDecoder decoder, LateReplies late, Completions completions, QueueCounts queueCounts) {
    this.decoder = decoder;
    this.late = late;
    this.completions = completions;
    this.queueCounts = queueCounts;
  }

  /**
   * Registers an attempt under its id (from {@link CorrelationIds}), whose request is sent in
   * {@code format}; the call leaves the router when anything ends it ({@link PendingCall#forget}).
   */
  PendingCall register(String id, MethodDescriptor method, ClientTransport.RequestChannel channel, String queue, Deadline deadline,
      WireFormat format) {
    PendingCall call = new PendingCall(id, method, channel, queue, deadline, format, pending);
    pending.put(id, call);
    return call;
  }

  /** The calls waiting now, for a sweep over them ({@link CallDeadlines}); weakly consistent. */
  Iterable<PendingCall> pendingCalls() {
    return pending.values();
  }

  /**
   * Ends a call whose deadline passed, unless a reply ended it first, with a {@code
   * DEADLINE_EXCEEDED} that says where the time went as far as {@link #queueCounts} knows now
   * (never waiting to learn more); returns that failure.
   */
  RpcException expire(PendingCall call) {
    boolean wasPending = pending.remove(call.correlationId, call);
    call.forget();
    if (wasPending) {
      late.expired(call);
    }
    RpcException failure = queueCounts.exceeded(
        call.method.key + ": no reply within " + call.deadline.budgetMillis() + " ms", call.queue, call.sentAtNanos);
    // Even if a reply is being completed right now: whichever completes first wins, and the
    // future is done when this returns for a sync call (no executor), which its caller relies on.
    complete(call, null, failure);
    return failure;
  }

  static RpcException deadlineExceeded(MethodDescriptor method, Deadline deadline) {
    return new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": no reply within " + deadline.budgetMillis() + " ms");
  }

  /** After a server's {@code taken} notice, the probe leaves a call alone this much longer than the grace it said. */
  static final long TAKEN_SLACK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * A closing server took the call's request and may answer it for {@code graceMillis} more (-1:
   * it did not say; then the call's own deadline is the bound): the consumer probe leaves the call
   * alone until then. A notice for a call no longer waiting is ignored.
   */
  @Override
  public void taken(String correlationId, long graceMillis) {
    PendingCall call = correlationId == null ? null : pending.get(correlationId);
    if (call != null) {
      long now = System.nanoTime();
      call.taken(graceMillis < 0 ? now + Math.max(0, call.deadline.remainingNanos())
          : now + TimeUnit.MILLISECONDS.toNanos(graceMillis) + TAKEN_SLACK_NANOS);
    }
  }

  /** Called on the reply consumer's thread for each reply; see {@link #onReply(String, String, String, byte[], long, Map)}. */
  void onReply(String correlationId, String contentType, String status, byte[] body) {
    onReply(correlationId, contentType, status, body, -1, null);
  }

  /** As {@link #onReply(String, String, String, byte[], long, Map)}, for a reply without application headers. */
  void onReply(String correlationId, String contentType, String status, byte[] body, long expiredMillis) {
    onReply(correlationId, contentType, status, body, expiredMillis, null);
  }

  /**
   * Called on the reply consumer's thread for each reply. A JSON or CBOR reply is read in the format
   * its content type names (a CBOR request's reply may be JSON: see {@link ReplyDecoder#refusesFormat}).
   *
   * @param expiredMillis the reply's {@code rpc-expired-ms}: the server did not run the request
   *     because its deadline had passed that long before (its clock); -1 if absent
   * @param headers the reply's AMQP headers, may be null: its application headers go to the
   *     attempt's interceptors ({@link ClientCall#replyHeaders()}), before the call completes
   */
  @Override
  public void onReply(String correlationId, String contentType, String status, byte[] body, long expiredMillis,
      Map<String, Object> headers) {
    PendingCall call = correlationId == null ? null : pending.remove(correlationId);
    if (call == null) {
      droppedReplies.increment();
      if (!late.onUnclaimed(correlationId, status, body, expiredMillis)) {
        log.debug("dropped a reply with unknown correlation id {} (duplicate or foreign)", correlationId);
      }
      return;
    }
    call.forget();
    boolean replayed = WireHeaders.isReplayed(headers);
    if (replayed) {
      replayedReplies.increment();
    }
    ClientCall.ReplyHeaders replyHeaders = call.replyHeaders;
    if (replyHeaders != null) {
      replyHeaders.headers = ApplicationHeaders.of(headers);
      replyHeaders.replayed = replayed;
    }
    WireFormat format = WireFormat.of(contentType) == WireFormat.CBOR ? WireFormat.CBOR : WireFormat.JSON;
    if (ReplyDecoder.refusesFormat(call, format, status)) {
      call.formatRefused = true; // before it completes: RetryPolicy sends it again in JSON
    }
    PendingCall.StreamItems stream = call.stream;
    if (stream != null) {
      stream.announced(WireHeaders.streamEndOf(headers)); // before the call completes: its count is checked then
    }
    ReplyDecoder.Outcome outcome = decoder.decode(call, format, status, body, expiredMillis);
    // A stream's call (what interceptors observe) ends with its item count; the items went to its reader.
    Object value = stream != null && outcome.failure() == null ? (Object) WireHeaders.streamEndOf(headers) : outcome.value();
    complete(call, value, outcome.failure());
  }

  /**
   * One item of a streaming call: decoded here (as a result of the method's item type) and handed
   * to the call's reader. An item for a call no longer waiting (cancelled, ended) is dropped and counted.
   */
  @Override
  public void onStreamItem(String correlationId, String contentType, long seq, String controlAddress, byte[] body) {
    PendingCall call = correlationId == null ? null : pending.get(correlationId);
    PendingCall.StreamItems stream = call == null ? null : call.stream;
    if (stream == null) {
      droppedReplies.increment();
      return;
    }
    WireFormat format = WireFormat.of(contentType) == WireFormat.CBOR ? WireFormat.CBOR : WireFormat.JSON;
    ReplyDecoder.Outcome item = decoder.decode(call, format, WireHeaders.STATUS_OK, body, -1);
    stream.onItem(seq, item.value(), item.failure(), controlAddress);
  }

  /** Fails one call by id, if it is still pending (e.g. its request came back unroutable). */
  @Override
  public boolean fail(String correlationId, RpcException failure) {
    PendingCall call = correlationId == null ? null : pending.remove(correlationId);
    if (call != null) {
      call.forget();
      complete(call, null, failure);
      return true;
    }
    return false;
  }

  /** Fails every pending call that matches, e.g. all calls of a lost channel or connection. */
  void failAll(Predicate<PendingCall> which, Function<PendingCall, RpcException> failure) {
    for (PendingCall call : pending.values()) {
      if (which.test(call) && pending.remove(call.correlationId, call)) {
        call.forget();
        complete(call, null, failure.apply(call));
      }
    }
  }

  @Override
  public void channelLost(Object channel, String culpritId, BiFunction<String, Boolean, RpcException> failure) {
    failAll(call -> call.channel == channel, call -> failure.apply(call.method.key, call.correlationId.equals(culpritId)));
  }

  @Override
  public void connectionLost(Function<String, RpcException> failure) {
    failAll(call -> true, call -> failure.apply(call.method.key));
  }

  private void complete(PendingCall call, Object value, Throwable failure) {
    completions.complete(call, call.method, value, failure);
  }

  /** The queues of calls that have waited past their probe time, for {@link ConsumerProbe}. */
  Set<String> queuesWaitingSince(long nowNanos) {
    Set<String> queues = new HashSet<>();
    for (PendingCall call : pending.values()) {
      if (call.probeAtNanos - nowNanos <= 0) {
        queues.add(call.queue);
      }
    }
    return queues;
  }

  int pendingCount() {
    return pending.size();
  }

  long droppedReplies() {
    return droppedReplies.sum();
  }

  /** Replies of calls that waited for them that were kept for an earlier attempt and sent again ({@code rpc-replayed}). */
  long replayedReplies() {
    return replayedReplies.sum();
  }
}
