package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
final class ReplyRouter {
  private static final Logger log = LoggerFactory.getLogger(ReplyRouter.class);

  private final ConcurrentHashMap<String, PendingCall> pending = new ConcurrentHashMap<>();
  /** Random per client so that ids never repeat across clients or restarts; a counter after it. */
  private final String idPrefix;
  private final AtomicLong idCounter = new AtomicLong();
  private final LongAdder droppedReplies = new LongAdder();
  private final LongAdder returnedOneWay = new LongAdder();
  private final ReplyDecoder decoder;
  private final Completions completions;
  /** The calls that expired, to know a late reply from a foreign one. */
  final LateReplies late;
  /** Arms the deadlines of async calls. */
  final ClientTimer timer;
  /** What the broker last said about each queue, for the messages of calls that expire. */
  final QueueCounts queueCounts;
  /** How far ahead of its deadline a pending async call gets its timer, at the latest. */
  static final long ARM_AHEAD_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300);
  /** How often the calls whose timers wait are looked at: well inside {@link #ARM_AHEAD_NANOS}. */
  static final long ARM_SWEEP_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50);
  private final java.util.concurrent.atomic.AtomicBoolean armSweeping = new java.util.concurrent.atomic.AtomicBoolean();

  /** A router with parts of its own (a unit test's); {@link #timer} is its to shut down. */
  ReplyRouter(Codec codec, Executor asyncExecutor) {
    this(new ReplyDecoder(codec, Set.of()), new LateReplies(), new Completions(asyncExecutor), new ClientTimer(),
        new QueueCounts(Deadline.SYSTEM_TICKER));
  }

  ReplyRouter(ReplyDecoder decoder, LateReplies late, Completions completions, ClientTimer timer,
      QueueCounts queueCounts) {
    this.decoder = decoder;
    this.late = late;
    this.completions = completions;
    this.timer = timer;
    this.queueCounts = queueCounts;
    // Ids need to be unique, not secret (replies reach only the channel that sent the request), so
    // no SecureRandom: seeding one costs tens of milliseconds of a new JVM's first call.
    this.idPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE) + "-";
  }

  /** A correlation id no call of this client had or will have. */
  String newCorrelationId() {
    return idPrefix + Long.toString(idCounter.incrementAndGet(), 36);
  }

  PendingCall register(MethodDescriptor method, CallChannel channel, String queue, Deadline deadline,
      WireFormat format) {
    return register(newCorrelationId(), method, channel, queue, deadline, format);
  }

  /**
   * Registers an attempt under an id taken before with {@link #newCorrelationId()} (an intercepted
   * one), whose request is sent in {@code format}.
   */
  PendingCall register(String id, MethodDescriptor method, CallChannel channel, String queue, Deadline deadline,
      WireFormat format) {
    PendingCall call = new PendingCall(id, method, channel, queue, deadline, format, this);
    pending.put(id, call);
    return call;
  }

  /**
   * Fails the call with {@code DEADLINE_EXCEEDED} when its deadline passes (async calls). A call
   * with more than {@link #ARM_AHEAD_NANOS} to go gets its timer only when a sweep (every {@link
   * #ARM_SWEEP_NANOS}) finds it still pending that close to its deadline: most calls are answered
   * long before, and a timer task made and cancelled per call cost the reply thread a fifth of its
   * time at 256 calls in flight (the timer queue's heap and lock; docs/BENCHMARKS.md). The deadline
   * is as exact as before: every call still pending has its timer by {@code ARM_AHEAD_NANOS} before it.
   */
  void armDeadline(PendingCall call) {
    long remaining = call.deadline.remainingNanos();
    if (remaining <= ARM_AHEAD_NANOS) {
      call.timeoutTask(timer.schedule(() -> expire(call), remaining));
      return;
    }
    call.armLater = true;
    if (!armSweeping.get() && armSweeping.compareAndSet(false, true)) {
      timer.every(this::armDue, ARM_SWEEP_NANOS);
    }
  }

  /** On the timer's thread: arms the deadline of every call marked {@code armLater} that is now near it. */
  private void armDue() {
    for (PendingCall call : pending.values()) {
      if (call.armLater) {
        long remaining = call.deadline.remainingNanos();
        if (remaining <= ARM_AHEAD_NANOS) {
          call.armLater = false;
          call.timeoutTask(timer.schedule(() -> expire(call), remaining));
        }
      }
    }
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

  void remove(PendingCall call) {
    pending.remove(call.correlationId, call);
  }

  /** After a server's {@code taken} notice, the probe leaves a call alone this much longer than the grace it said. */
  static final long TAKEN_SLACK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * A closing server took the call's request and may answer it for {@code graceMillis} more (-1:
   * it did not say; then the call's own deadline is the bound): the consumer probe leaves the call
   * alone until then. A notice for a call no longer waiting is ignored.
   */
  void taken(String correlationId, long graceMillis) {
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
  void onReply(String correlationId, String contentType, String status, byte[] body, long expiredMillis,
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
    ClientCall.ReplyHeaders replyHeaders = call.replyHeaders;
    if (replyHeaders != null) {
      replyHeaders.headers = ApplicationHeaders.of(headers);
    }
    WireFormat format = WireFormat.of(contentType) == WireFormat.CBOR ? WireFormat.CBOR : WireFormat.JSON;
    if (ReplyDecoder.refusesFormat(call, format, status)) {
      call.formatRefused = true; // before it completes: CallEngine sends it again in JSON
    }
    ReplyDecoder.Outcome outcome = decoder.decode(call, format, status, body, expiredMillis);
    complete(call, outcome.value(), outcome.failure());
  }

  /** Fails one call by id, if it is still pending (e.g. its request came back unroutable). */
  boolean fail(String correlationId, RpcException failure) {
    PendingCall call = correlationId == null ? null : pending.remove(correlationId);
    if (call != null) {
      call.forget();
      complete(call, null, failure);
      return true;
    }
    return false;
  }

  /** A one-way request sent without confirms came back: nobody waits for it, so it is logged and counted. */
  void oneWayReturned(String queue, String correlationId, String why) {
    returnedOneWay.increment();
    log.warn("a one-way request to {} (correlation id {}) was returned by the broker: {}", queue, correlationId, why);
  }

  /** One-way requests sent without confirms that the broker returned (no queue took them). */
  long returnedOneWay() {
    return returnedOneWay.sum();
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
}
