package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one client that wait for replies, by correlation id. Replies complete them;
 * returns, lost channels and connections fail them; deadlines expire them. Every way out removes
 * the entry, so the map never grows beyond the calls in flight. Replies with unknown ids (late,
 * duplicate, foreign) are dropped and counted; late ones are logged with their cause and the last
 * few kept ({@link #recentLateReplies()}). A call that expires says where its time went, from what
 * {@link #queueCounts} knew then.
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
  private final LongAdder lateReplies = new LongAdder();
  /**
   * Calls that ended at their deadline, so that a reply coming after it is logged with its method and
   * lateness; the oldest are forgotten first beyond {@link #REMEMBERED_EXPIRED}. Guarded by itself.
   */
  private final java.util.LinkedHashMap<String, Expired> expired = new java.util.LinkedHashMap<>() {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Expired> eldest) {
      return size() > REMEMBERED_EXPIRED;
    }
  };
  static final int REMEMBERED_EXPIRED = 1024;

  private record Expired(String method, long deadlineNanos, long sentAtNanos) {}

  /** The last late replies, oldest first, at most {@link #REMEMBERED_LATE}. Guarded by itself. */
  private final java.util.ArrayDeque<RpcClient.LateReply> recentLate = new java.util.ArrayDeque<>();
  static final int REMEMBERED_LATE = 32;
  /** Late replies from servers that skipped the request because it had expired when they took it. */
  private final LongAdder skippedLateReplies = new LongAdder();
  /** What the broker last said about each queue, for the messages of calls that expire. */
  final QueueCounts queueCounts = new QueueCounts(Deadline.SYSTEM_TICKER);
  private final LongAdder returnedOneWay = new LongAdder();
  /** Decodes replies; its mappers are built on first use (see {@link Codec}). */
  private final Codec codec;
  private final Executor asyncExecutor;
  /** Exception types the application lets replies instantiate (RpcClient.Builder.remoteExceptions). */
  private final java.util.Set<Class<? extends Throwable>> remoteExceptions;
  private final ScheduledThreadPoolExecutor timer;
  /** The application's executor refused a completion once; warned about once. */
  private volatile boolean executorRejected;

  ReplyRouter(Codec codec, Executor asyncExecutor) {
    this(codec, asyncExecutor, java.util.Set.of());
  }

  ReplyRouter(Codec codec, Executor asyncExecutor, java.util.Set<Class<? extends Throwable>> remoteExceptions) {
    this.codec = codec;
    this.remoteExceptions = remoteExceptions;
    this.asyncExecutor = asyncExecutor;
    // Ids need to be unique, not secret (replies reach only the channel that sent the request), so
    // no SecureRandom: seeding one costs tens of milliseconds of a new JVM's first call.
    this.idPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE) + "-";
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemon("rpc-deadlines"));
    // A completed call cancels its timer task; without this the task would stay queued until its deadline.
    this.timer.setRemoveOnCancelPolicy(true);
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

  /** Fails the call with {@code DEADLINE_EXCEEDED} when its deadline passes (async calls). */
  void armDeadline(PendingCall call) {
    call.timeoutTask(schedule(() -> expire(call), call.deadline.remainingNanos()));
  }

  /**
   * Runs {@code task} after {@code delayNanos} on the router's timer thread (a deadline, a retry).
   * Tasks on this thread never do I/O or run user code: completions go through {@link #complete}.
   *
   * @throws java.util.concurrent.RejectedExecutionException once the router is shut down
   */
  java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    return timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
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
      rememberExpired(call);
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
   * its content type names (a CBOR request's reply may be JSON: see {@link #refusesFormat}).
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
      Expired late;
      synchronized (expired) {
        late = correlationId == null ? null : expired.remove(correlationId);
      }
      if (late == null) {
        log.debug("dropped a reply with unknown correlation id {} (duplicate or foreign)", correlationId);
      } else {
        lateReply(late, correlationId, status, body, expiredMillis);
      }
      return;
    }
    call.forget();
    ClientCall.ReplyHeaders replyHeaders = call.replyHeaders;
    if (replyHeaders != null) {
      replyHeaders.headers = ApplicationHeaders.of(headers);
    }
    WireFormat format = WireFormat.of(contentType) == WireFormat.CBOR ? WireFormat.CBOR : WireFormat.JSON;
    if (refusesFormat(call, format, status)) {
      call.formatRefused = true; // before it completes: CallEngine sends it again in JSON
    }
    Object value;
    Throwable failure;
    try {
      if (call.method.plainText && (status == null || Envelope.STATUS_OK.equals(status))) {
        // The tutorial's servers reply with the bare result and no headers at all.
        value = PlainText.decodeResult(call.method, body);
        failure = null;
      } else if (call.method.plainText) {
        value = null;
        failure = PlainText.decodeFailure(call.method, status, body);
      } else if (Envelope.STATUS_OK.equals(status)) {
        value = Envelope.decodeResult(codec.mapper(format), call.method, body);
        failure = null;
      } else {
        value = null;
        failure = Envelope.decodeFailure(codec.mapper(format), call.method, status, body, remoteExceptions);
      }
    } catch (RuntimeException e) {
      value = null;
      failure = e;
    }
    if (failure instanceof RpcException && ((RpcException) failure).code() == Code.DEADLINE_EXCEEDED) {
      failure = serverDeadline(call, (RpcException) failure, expiredMillis);
    }
    complete(call, value, failure);
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
    return RpcException.deadlineExceeded(call.method.key + ": " + skipped(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - call.sentAtNanos), expiredMillis),
        RpcException.DeadlineCause.SKIPPED_EXPIRED);
  }

  private static String skipped(long queuedMillis, long expiredMillis) {
    return "the server skipped it: it arrived already expired after " + queuedMillis + " ms in the queue (its deadline"
        + " had passed " + expiredMillis + " ms before, by the server's clock)";
  }

  /** A reply for a call that had expired: counted, logged at debug with its cause, and kept among the last few. */
  private void lateReply(Expired late, String correlationId, String status, byte[] body, long expiredMillis) {
    lateReplies.increment();
    long now = System.nanoTime();
    long lateMillis = TimeUnit.NANOSECONDS.toMillis(now - late.deadlineNanos);
    RpcClient.LateReply record;
    if (expiredMillis >= 0) {
      skippedLateReplies.increment();
      long queuedMillis = TimeUnit.NANOSECONDS.toMillis(now - late.sentAtNanos);
      record = new RpcClient.LateReply(late.method, correlationId, RpcException.DeadlineCause.SKIPPED_EXPIRED, status,
          lateMillis, queuedMillis);
      log.debug("late reply for {} (correlation id {}): {}; reply arrived {} ms late", late.method, correlationId,
          skipped(queuedMillis, expiredMillis), lateMillis);
    } else {
      record = new RpcClient.LateReply(late.method, correlationId, RpcException.DeadlineCause.TAKEN, status,
          lateMillis, -1);
      log.debug("late reply for {} (correlation id {}): reply arrived {} ms late, status {}{}", late.method,
          correlationId, lateMillis, status,
          Envelope.STATUS_OK.equals(status) ? "" : ": " + new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }
    synchronized (recentLate) {
      if (recentLate.size() == REMEMBERED_LATE) {
        recentLate.removeFirst();
      }
      recentLate.addLast(record);
    }
  }

  /** The last late replies (at most {@link #REMEMBERED_LATE}), oldest first. */
  java.util.List<RpcClient.LateReply> recentLateReplies() {
    synchronized (recentLate) {
      return java.util.List.copyOf(recentLate);
    }
  }

  /** Late replies whose server skipped the request as expired (a subset of {@link #lateReplies()}). */
  long skippedLateReplies() {
    return skippedLateReplies.sum();
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
    complete(call, call.method, value, failure);
  }

  /**
   * The one way a call's future completes, whatever ends it (reply, failure, deadline, close): on
   * the application's executor for async methods if it set one ({@link RpcClient.Builder#executor}),
   * else on this thread. An executor that refuses the task (shut down, saturated) does not leave the
   * future pending: it completes here instead.
   */
  void complete(java.util.concurrent.CompletableFuture<Object> future, MethodDescriptor method, Object value,
      Throwable failure) {
    if (method.async && asyncExecutor != null) {
      try {
        asyncExecutor.execute(() -> completeNow(future, value, failure));
        return;
      } catch (RuntimeException rejected) {
        if (!executorRejected) {
          executorRejected = true;
          log.warn("the executor of RpcClient.Builder.executor refused to complete a call ({}); completing it on {}",
              rejected.toString(), Thread.currentThread().getName());
        }
      }
    }
    completeNow(future, value, failure);
  }

  private static void completeNow(java.util.concurrent.CompletableFuture<Object> future, Object value,
      Throwable failure) {
    if (failure == null) {
      future.complete(value);
    } else {
      future.completeExceptionally(failure);
    }
  }

  /** The queues of calls that have waited past their probe time, for {@link ConsumerProbe}. */
  java.util.Set<String> queuesWaitingSince(long nowNanos) {
    java.util.Set<String> queues = new java.util.HashSet<>();
    for (PendingCall call : pending.values()) {
      if (call.probeAtNanos - nowNanos <= 0) {
        queues.add(call.queue);
      }
    }
    return queues;
  }

  /** Runs {@code task} every {@code periodNanos} on the timer thread until the router shuts down. */
  void every(Runnable task, long periodNanos) {
    timer.scheduleWithFixedDelay(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  private void rememberExpired(PendingCall call) {
    synchronized (expired) {
      expired.put(call.correlationId,
          new Expired(call.method.key, System.nanoTime() + call.deadline.remainingNanos(), call.sentAtNanos));
    }
  }

  /** Replies that came after their call's deadline (a subset of the dropped ones). */
  long lateReplies() {
    return lateReplies.sum();
  }

  int pendingCount() {
    return pending.size();
  }

  long droppedReplies() {
    return droppedReplies.sum();
  }

  void shutdown() {
    timer.shutdownNow();
  }
}
