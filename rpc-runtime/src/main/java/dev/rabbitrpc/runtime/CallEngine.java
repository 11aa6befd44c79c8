package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client's call engine: turns one proxy invocation into attempts (through the client
 * interceptors, if any), sends each, waits for sync calls, completes async ones, and retries
 * {@code @Idempotent} calls on {@code UNAVAILABLE} within the call's one {@link Deadline}.
 * {@link RpcClient} configures it and owns its parts (router, transport, probe).
 *
 * <p>It chooses each call's queue first: for a sharded service the shard its {@code @ShardKey}
 * hashes to, else the next in turn ({@link ServiceDescriptor#route}); the call then runs with that
 * shard's descriptor, so every step below sees the shard queue. A retry of a call without a key
 * takes the next shard.
 *
 * <p>It chooses each request's format: plain text for a plain-text service, else the service's
 * {@code @RpcService(encoding)}, else the client's; CBOR falls back to JSON, once per call and for
 * good per queue, when the queue's server answers that it does not read CBOR
 * ({@link ReplyRouter#refusesFormat}, docs/PROTOCOL.md, "Negotiation").
 *
 * <p>Thread-safe.
 */
final class CallEngine {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CallEngine.class);
  /** The largest {@code expiration} RabbitMQ accepts; a larger one closes the channel. */
  static final long MAX_EXPIRATION_MILLIS = 4_294_967_295L;

  private final Codec codec;
  private final int maxInFlight;
  private final MessageSizeLimit messageSizeLimit;
  private final ReplyRouter router;
  private final Completions completions;
  /** Retry back-off and the deadlines of async calls: its tasks only decide, then hand off to {@link #work}. */
  private final ClientTimer scheduler;
  /** Runs the attempts and intercepted expiries a timer task decided on (never the timer thread). */
  private final ClientWork work;
  private final AmqpTransport transport;
  private final ConsumerProbe probe;
  /** In registration order: the first sees each attempt first (ClientInterceptor, "Order"). */
  private final List<ClientInterceptor> interceptors;
  /** Attempts that failed with UNAVAILABLE and were retried ({@code @Idempotent} calls). */
  private final LongAdder retries = new LongAdder();
  /** Async calls between attempts (connecting, backing off), which the router does not hold then. */
  private final Set<AsyncCall> waiting = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** {@code @OneWay} calls wait for the broker's publisher confirm. */
  private final boolean oneWayConfirms;
  /** The client's format (RpcClient.Builder.encoding), for services whose annotation chooses none. */
  private final WireFormat defaultFormat;
  /** Queues whose server answered that it does not read CBOR: sent JSON from then on. */
  private final Set<String> jsonOnlyQueues = ConcurrentHashMap.newKeySet();

  CallEngine(Codec codec, int maxInFlight, MessageSizeLimit messageSizeLimit, ReplyRouter router, Completions completions,
      ClientTimer scheduler, ClientWork work, AmqpTransport transport, ConsumerProbe probe,
      List<ClientInterceptor> interceptors, boolean oneWayConfirms, WireFormat defaultFormat) {
    this.completions = completions;
    this.scheduler = scheduler;
    this.work = work;
    this.oneWayConfirms = oneWayConfirms;
    this.defaultFormat = defaultFormat;
    this.codec = codec;
    this.maxInFlight = maxInFlight;
    this.messageSizeLimit = messageSizeLimit;
    this.router = router;
    this.transport = transport;
    this.probe = probe;
    this.interceptors = interceptors;
  }

  /** Calls in flight: waiting for their replies, or for the connection or a retry before they are sent. */
  int pendingCalls() {
    return router.pendingCount() + waiting.size();
  }

  long retries() {
    return retries.sum();
  }

  String brokerDescription() {
    return transport.brokerDescription;
  }

  /** See {@link RpcClient#correlationIdOf}. */
  static String correlationIdOf(CompletableFuture<?> call) {
    PendingCall attempt = call instanceof PendingCall ? (PendingCall) call
        : call instanceof AsyncCall ? ((AsyncCall) call).attempt : null;
    return attempt == null ? null : attempt.correlationId;
  }

  /** Fails every call in flight with {@code CANCELLED}, those between attempts included; later calls fail so too. */
  void close() {
    closed = true;
    router.failAll(call -> true, call -> new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
    failWaiting();
  }

  /**
   * Fails the async calls between attempts. Run again once the router's timer is shut down: a call
   * whose attempt failed while {@link #close()} ran may have scheduled its retry after the first
   * sweep, and shutting the timer down dropped that retry; a later one is refused and ends the call.
   */
  void failWaiting() {
    for (AsyncCall call : waiting) { // connecting or backing off: not in the router now
      call.end(null, new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
    }
  }

  /**
   * One remote call. Sync methods wait for the reply on the calling thread; async methods return
   * the future at once and never throw, never block on connecting: every failure completes the
   * future. {@code @Idempotent} calls are retried on {@code UNAVAILABLE} with backoff, within the
   * same deadline.
   */
  Object call(ServiceDescriptor whole, MethodDescriptor method, Object[] args) throws Throwable {
    // One deadline per call, fixed now; a call made inside a handler inherits what is left of its caller's.
    Deadline deadline = Deadline.after(method.timeoutNanos, TimeUnit.NANOSECONDS).minimum(CallContext.inherited());
    ServiceDescriptor service; // the shard whose queue the call goes to: downstream, its queue is the call's
    try {
      service = whole.route(method, args);
    } catch (RpcException nullKey) {
      if (method.async) {
        return CompletableFuture.failedFuture(nullKey);
      }
      throw nullKey;
    }
    if (method.oneWay) {
      return oneWay(service, method, args, deadline);
    }
    if (method.async) {
      // A CBOR call may need a second attempt in JSON (negotiation), which only an AsyncCall makes.
      if (!method.idempotent && interceptors.isEmpty() && transport.isConnected()
          && formatFor(service, method) != WireFormat.CBOR) {
        return sendOrFail(service, method, args, deadline); // the common case: the future is the call itself
      }
      return new AsyncCall(service, method, args, deadline).start();
    }
    for (int attempt = 0; ; attempt++) {
      PendingCall sentCall = null;
      try {
        if (interceptors.isEmpty()) {
          sentCall = send(service, method, args, deadline, Map.of());
          return await(sentCall, deadline);
        }
        AtomicReference<PendingCall> sent = new AtomicReference<>();
        CompletableFuture<Object> outcome = intercepted(
            new ClientCall(service, method, args, deadline, attempt + 1, router.newCorrelationId(), Map.of()), sent::set);
        try {
          return awaitIntercepted(outcome, sent, method, deadline);
        } finally {
          sentCall = sent.get();
        }
      } catch (RpcException e) {
        if (fallsBackToJson(sentCall)) {
          continue; // not run: sent again at once, in JSON
        }
        long backoff = retryBackoffNanos(method, e, attempt, deadline);
        if (backoff < 0) {
          throw e;
        }
        retries.increment();
        service = retryShard(service, method, args);
        try {
          TimeUnit.NANOSECONDS.sleep(backoff);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting to retry", interrupted);
        }
      }
    }
  }

  /**
   * How long to wait before retrying a failed attempt, or -1 if it must not be retried: only
   * {@code @Idempotent} methods, only {@code UNAVAILABLE}, only while the deadline leaves room.
   */
  private static long retryBackoffNanos(MethodDescriptor method, Throwable failure, int attempt, Deadline deadline) {
    if (!method.idempotent || !(failure instanceof RpcException)
        || ((RpcException) failure).code() != Code.UNAVAILABLE) {
      return -1;
    }
    long base = TimeUnit.MILLISECONDS.toNanos(50) << Math.min(attempt, 5); // 50 ms .. 1.6 s
    long backoff = Math.min(base, TimeUnit.SECONDS.toNanos(1));
    backoff = backoff / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    return backoff < deadline.remainingNanos() ? backoff : -1;
  }

  /**
   * The shard a retry goes to: a keyed call stays on its key's shard (equal keys, same shard, even
   * if it has no server now); a round-robin call takes the next shard, which may have one.
   */
  private static ServiceDescriptor retryShard(ServiceDescriptor shard, MethodDescriptor method, Object[] args) {
    return shard.shards == 1 || method.shardKey >= 0 ? shard : shard.route(method, args);
  }

  private CompletableFuture<Object> sendOrFail(ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline) {
    try {
      PendingCall call = send(service, method, args, deadline, Map.of());
      router.armDeadline(call);
      return call;
    } catch (RpcException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Encodes, connects if needed (within the deadline), registers and publishes one attempt; the
   * returned call is pending until its reply. Nothing is left registered when this throws.
   */
  private PendingCall send(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline,
      Map<String, String> applicationHeaders) {
    return send(null, service, method, args, deadline, applicationHeaders, null);
  }

  /**
   * @param correlationId the attempt's id if an interceptor was shown it already, else null for a new one
   * @param registered told of the attempt once it is registered, before it is published (so that a
   *     reply, a deadline or a cancel can never come before its caller knows the attempt); may be null
   */
  private PendingCall send(String correlationId, ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline, Map<String, String> applicationHeaders, java.util.function.Consumer<PendingCall> registered) {
    if (closed) {
      throw new RpcException(Code.CANCELLED, method.key + ": the client is closed");
    }
    if (deadline.isExpired()) {
      throw RpcException.deadlineExceeded(method.key + ": the deadline passed before the call was sent",
          RpcException.DeadlineCause.NOT_SENT);
    }
    if (router.pendingCount() >= maxInFlight) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED,
          method.key + ": " + maxInFlight + " calls already in flight (RpcClient.Builder.maxInFlight)");
    }
    WireFormat format = formatFor(service, method);
    byte[] body = format == WireFormat.PLAIN
        ? PlainText.encodeArgument(method, args[0])
        : WireBody.encodeRequest(codec.mapper(format), method, args);
    checkSize(method, body);
    CallChannel channel;
    try {
      transport.checkNotBlocked();
      channel = transport.callChannel(deadline); // connects first if needed, never past the deadline
    } catch (RpcException e) {
      throw e.withMessage(method.key + ": " + e.getMessage());
    }
    PendingCall call = correlationId == null
        ? router.register(method, channel, service.queue, deadline, format)
        : router.register(correlationId, method, channel, service.queue, deadline, format);
    if (registered != null) {
      registered.accept(call);
    }
    try {
      long remainingMillis = deadline.remainingMillisCeil();
      if (remainingMillis <= 0) {
        throw RpcException.deadlineExceeded(method.key + ": the deadline passed while connecting",
            RpcException.DeadlineCause.NOT_SENT);
      }
      probe.ensureStarted();
      // RabbitMQ drops a request still queued at its deadline; the server checks the header too.
      AMQP.BasicProperties properties = WireHeaders.request(format, call.correlationId, channel.replyTo, deadline,
          expirationMillis(remainingMillis), applicationHeaders);
      transport.checkNotBlocked();
      channel.publish(service.queue, properties, body);
    } catch (IOException | RuntimeException e) {
      call.forget();
      if (e instanceof RpcException) {
        throw (RpcException) e;
      }
      throw new RpcException(Code.UNAVAILABLE,
          method.key + ": cannot send the request to " + transport.brokerDescription + ": " + e.getMessage(), e);
    }
    return call;
  }

  /** Refuses a request over the limit: the client's setting, or the broker's once it refused a larger one. */
  private void checkSize(MethodDescriptor method, byte[] body) {
    int limit = messageSizeLimit.bytes();
    if (body.length > limit) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED, method.key + ": the request has " + body.length
          + " bytes, more than the limit of " + limit + " (" + messageSizeLimit.source() + ")");
    }
  }

  /**
   * The format of a request: plain text for a plain-text service; else the service's choice, else
   * the client's; CBOR only while its queue's server has not answered that it does not read it.
   */
  WireFormat formatFor(ServiceDescriptor service, MethodDescriptor method) {
    if (method.plainText) {
      return WireFormat.PLAIN;
    }
    WireFormat chosen = service.encoding == dev.rabbitrpc.api.Encoding.DEFAULT ? defaultFormat
        : WireFormat.forEncoding(service.encoding);
    return chosen == WireFormat.CBOR && jsonOnlyQueues.contains(service.queue) ? WireFormat.JSON : chosen;
  }

  /**
   * Whether a failed attempt was refused for its format (a CBOR request to a server that does not
   * read CBOR): then its queue gets JSON from now on, and the call is sent again at once. A JSON
   * request is never refused so, so a call falls back at most once.
   */
  private boolean fallsBackToJson(PendingCall attempt) {
    if (attempt == null || !attempt.formatRefused) {
      return false;
    }
    if (jsonOnlyQueues.add(attempt.queue)) {
      log.info("the server of queue {} does not read {}; this client sends it {} from now on", attempt.queue,
          WireFormat.CBOR, WireFormat.JSON);
    }
    return true;
  }

  /**
   * A {@code @OneWay} call: one attempt (never retried: nobody can know whether it ran), through the
   * interceptors, sent without {@code reply_to}. With confirms, it ends when the broker confirms the
   * request, or fails with {@code UNAVAILABLE} if the broker returns it; without, once it is written.
   */
  private Object oneWay(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline)
      throws Throwable {
    CompletableFuture<Object> sent;
    if (interceptors.isEmpty()) {
      sent = sendOneWayOrFail(null, service, method, args, deadline, Map.of());
    } else {
      ClientInterceptor.Chain send = attempt -> sendOneWayOrFail(attempt.correlationId(), attempt.service,
          attempt.method, attempt.arguments, attempt.deadline, attempt.headers());
      sent = new Chains.Client(interceptors, 0, send)
          .proceed(new ClientCall(service, method, args, deadline, 1, router.newCorrelationId(), Map.of()))
          .toCompletableFuture();
    }
    if (method.async) {
      CompletableFuture<Object> result = new CompletableFuture<>();
      java.util.concurrent.ScheduledFuture<?> timer = sent.isDone() ? null : scheduler.schedule(() -> completions.complete(
          result, method, null, noConfirmInTime(method, deadline)), deadline.remainingNanos());
      sent.whenComplete((value, failure) -> {
        if (timer != null) {
          timer.cancel(false);
        }
        completions.complete(result, method, null, failure == null ? null : unwrap(failure));
      });
      return result;
    }
    try {
      sent.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      throw noConfirmInTime(method, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting for the broker's confirm", e);
    }
  }

  private static RpcException noConfirmInTime(MethodDescriptor method, Deadline deadline) {
    return new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": the broker did not confirm the one-way request within "
        + deadline.budgetMillis() + " ms (it may still have taken it)");
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /**
   * Encodes and publishes a one-way request: {@code mandatory}, no {@code reply_to}, nothing
   * registered. The future is the broker's confirm, or done once written when confirms are off.
   */
  private CompletableFuture<Object> sendOneWayOrFail(String correlationId, ServiceDescriptor service,
      MethodDescriptor method, Object[] args, Deadline deadline, Map<String, String> applicationHeaders) {
    try {
      if (closed) {
        throw new RpcException(Code.CANCELLED, method.key + ": the client is closed");
      }
      if (deadline.isExpired()) {
        throw RpcException.deadlineExceeded(method.key + ": the deadline passed before the call was sent",
            RpcException.DeadlineCause.NOT_SENT);
      }
      byte[] body = WireBody.encodeRequest(codec.mapper(), method, args);
      checkSize(method, body);
      transport.checkNotBlocked();
      String id = correlationId != null ? correlationId : router.newCorrelationId();
      OneWayChannel confirming = null;
      CallChannel plain = null;
      try {
        if (oneWayConfirms) {
          confirming = transport.oneWayChannel(deadline);
        } else {
          plain = transport.callChannel(deadline);
        }
      } catch (RpcException e) {
        throw e.withMessage(method.key + ": " + e.getMessage());
      }
      long remainingMillis = deadline.remainingMillisCeil();
      if (remainingMillis <= 0) {
        throw RpcException.deadlineExceeded(method.key + ": the deadline passed while connecting",
            RpcException.DeadlineCause.NOT_SENT);
      }
      AMQP.BasicProperties properties = WireHeaders.oneWayRequest(id, deadline, expirationMillis(remainingMillis),
          applicationHeaders);
      try {
        if (confirming != null) {
          return confirming.publish(service.queue, properties, body);
        }
        plain.publish(service.queue, properties, body);
        return CompletableFuture.completedFuture(null);
      } catch (IOException | RuntimeException e) {
        throw new RpcException(Code.UNAVAILABLE,
            method.key + ": cannot send the request to " + transport.brokerDescription + ": " + e.getMessage(), e);
      }
    } catch (RpcException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A request's {@code expiration}: its time left, within RabbitMQ's limit; -1 (none) on another broker. */
  private long expirationMillis(long remainingMillis) {
    return transport.connectedToRabbitMq() ? Math.min(remainingMillis, MAX_EXPIRATION_MILLIS) : -1;
  }

  /**
   * One attempt through the interceptors; the send at the chain's end tells {@code sent} about the
   * request it published (so that a deadline or a cancel reaches it).
   */
  private CompletableFuture<Object> intercepted(ClientCall call, java.util.function.Consumer<PendingCall> sent) {
    ClientInterceptor.Chain send = attempt -> {
      try {
        return send(attempt.correlationId(), attempt.service, attempt.method, attempt.arguments,
            attempt.deadline, attempt.headers(), registered -> {
              registered.replyHeaders = attempt.reply; // before it is published: its reply finds them
              sent.accept(registered);
            });
      } catch (RpcException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    return new Chains.Client(interceptors, 0, send).proceed(call).toCompletableFuture();
  }

  /** Waits for an intercepted sync attempt's outcome until the deadline. */
  private Object awaitIntercepted(CompletableFuture<Object> outcome, AtomicReference<PendingCall> sent,
      MethodDescriptor method, Deadline deadline) throws Throwable {
    try {
      return outcome.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      PendingCall pending = sent.get();
      // The interceptors see the deadline as the attempt's outcome; no attempt: it was never sent.
      RpcException exceeded = pending != null ? router.expire(pending) : RpcException.deadlineExceeded(
          method.key + ": no reply within " + deadline.budgetMillis() + " ms (the request was not sent yet)",
          RpcException.DeadlineCause.NOT_SENT);
      if (outcome.isDone()) {
        return outcome(outcome, method);
      }
      throw exceeded;
    } catch (InterruptedException e) {
      PendingCall pending = sent.get();
      if (pending != null) {
        pending.cancel(true);
      }
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting for the reply", e);
    }
  }

  /** Waits for a sync call's outcome until its deadline. */
  private Object await(PendingCall call, Deadline deadline) throws Throwable {
    try {
      return call.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      router.expire(call);
      return outcome(call, call.method);
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, call.method.key + ": interrupted while waiting for the reply", e);
    }
  }

  /** The result of a call that is known to be done. */
  private static Object outcome(CompletableFuture<Object> call, MethodDescriptor method) throws Throwable {
    try {
      return call.getNow(null);
    } catch (CompletionException e) {
      throw e.getCause();
    } catch (java.util.concurrent.CancellationException e) {
      throw new RpcException(Code.CANCELLED, method.key + ": cancelled", e);
    }
  }

  /**
   * The future of an async call that is more than one {@link PendingCall}: one that must wait for
   * the connection first (without blocking its caller), or an {@code @Idempotent} one, whose attempt
   * failing with {@code UNAVAILABLE} is retried after a backoff while the deadline allows. One timer
   * ends it at its deadline, whatever it is doing then (connecting, backing off, waiting for a
   * reply); cancelling it cancels the attempt in flight; closing the client fails it.
   */
  private final class AsyncCall extends CompletableFuture<Object> {
    /** The call's shard; a round-robin call's retry may take another ({@link #retryShard}). */
    private volatile ServiceDescriptor service;
    private final MethodDescriptor method;
    private final Object[] args;
    private final Deadline deadline;
    private volatile PendingCall attempt;
    private int attempts;
    private volatile java.util.concurrent.ScheduledFuture<?> timer;

    AsyncCall(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
      this.service = service;
      this.method = method;
      this.args = args;
      this.deadline = deadline;
    }

    AsyncCall start() {
      waiting.add(this);
      whenComplete((value, failure) -> ended());
      if (closed) { // close() may have run before this call was in the set
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client is closed"));
        return this;
      }
      try {
        // The interceptors observe the deadline as the attempt's outcome: then it ends on a worker.
        timer = scheduler.schedule(interceptors.isEmpty() ? this::expire : () -> handOff(this::expire),
            deadline.remainingNanos());
      } catch (java.util.concurrent.RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client is closed"));
        return this;
      }
      if (transport.isConnected()) {
        attemptNow();
      } else {
        // Waits for the connection on the connecting thread, not the caller's.
        transport.connectAsync().whenComplete((connection, failure) -> {
          if (failure == null) {
            attemptNow();
          } else {
            failed(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
          }
        });
      }
      return this;
    }

    private void attemptNow() {
      if (isDone()) {
        return;
      }
      CompletableFuture<Object> current;
      if (interceptors.isEmpty()) {
        try {
          current = send(null, service, method, args, deadline, Map.of(), this::sent);
        } catch (RpcException e) {
          failed(e);
          return;
        }
      } else {
        current = intercepted(new ClientCall(service, method, args, deadline, attempts + 1, router.newCorrelationId(), Map.of()), this::sent);
      }
      current.whenComplete((value, failure) -> {
        // On the thread that completed the attempt, the executor's already if one is set: no second hop.
        if (failure == null) {
          complete(value);
        } else {
          failed(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
        }
      });
      PendingCall inFlight = attempt;
      if (isDone() && inFlight != null) { // cancelled or expired while sending
        inFlight.cancel(false);
      }
    }

    private void failed(Throwable failure) {
      if (!isDone() && fallsBackToJson(attempt)) {
        attempt = null;
        attempts++;
        waiting.add(this);
        handOff(this::attemptNow); // not run: sent again at once, in JSON, on a worker
        return;
      }
      long backoff = retryBackoffNanos(method, failure, attempts++, deadline);
      if (backoff < 0 || isDone()) {
        end(null, failure);
        return;
      }
      waiting.add(this);
      retries.increment();
      service = retryShard(service, method, args);
      try {
        // The timer only decides when; the attempt (interceptors, connect, publish) runs on a worker.
        scheduler.schedule(() -> handOff(this::attemptNow), backoff);
      } catch (java.util.concurrent.RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client was closed"));
      }
    }

    /** Runs {@code step} on a worker; if the client is closing and the pool refuses it, ends the call. */
    private void handOff(Runnable step) {
      try {
        work.execute(step);
      } catch (java.util.concurrent.RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client was closed"));
      }
    }

    private void sent(PendingCall sent) {
      attempt = sent;
      waiting.remove(this); // in the router now
    }

    /** The deadline: ends the attempt in flight, or the call itself if it has none now. */
    private void expire() {
      PendingCall current = attempt;
      if (current != null && !current.isDone()) {
        // Completes this call through the attempt's whenComplete, or below if that goes through an executor.
        end(null, router.expire(current));
        return;
      }
      end(null, current != null ? ReplyRouter.deadlineExceeded(method, deadline) : RpcException.deadlineExceeded(
          method.key + ": no reply within " + deadline.budgetMillis() + " ms (not sent: the connection was not ready)",
          RpcException.DeadlineCause.NOT_SENT));
    }

    void end(Object value, Throwable failure) {
      if (!isDone()) {
        completions.complete(this, method, value, failure);
      }
    }

    private void ended() {
      waiting.remove(this);
      java.util.concurrent.ScheduledFuture<?> task = timer;
      if (task != null) {
        task.cancel(false);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      PendingCall current = attempt;
      if (current != null) {
        current.cancel(mayInterruptIfRunning);
      }
      return cancelled;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new CompletableFuture<>();
    }
  }

}
