package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The client's call pipeline: turns one proxy invocation into attempts, each through the client
 * interceptors (if any) and {@link Sender}, and ends the call with the first attempt's outcome
 * that {@link RetryPolicy} does not follow with another (a JSON re-send, an {@code @Idempotent}
 * retry within the call's one {@link Deadline}). One pipeline ({@link Call}) serves every shape
 * ({@link CallShape}, decided when the interface was parsed): a {@code CompletableFuture} method
 * returns it, a sync one waits for it, bounded by the deadline; a one-way call is one attempt,
 * never retried. The common case — no interceptor, not {@code @Idempotent}, not CBOR — skips
 * {@link Call}: the attempt itself is the call.
 *
 * <p>It chooses each call's queue first: for a sharded service the shard its {@code @ShardKey}
 * hashes to, else the next in turn ({@link ServiceDescriptor#route}); a retry of a call without a
 * key takes the next shard ({@link RetryPolicy#retryShard}).
 *
 * <p>Threads: the first attempt runs on the caller's thread (an async call's on the connecting
 * thread if the client is not connected yet, so that the caller never blocks); a retry or a JSON
 * re-send on an {@code rpc-client-work} thread, never the timer's ({@link ClientWork}). Thread-safe.
 */
final class CallEngine {
  private final ReplyRouter router;
  private final Completions completions;
  /** Deadlines of async calls and retry back-off: its tasks only decide, then hand off to {@link #work}. */
  private final ClientTimer scheduler;
  private final ClientWork work;
  private final ClientTransport transport;
  /** The deadlines' clock: the system's, or a test's. */
  private final Deadline.Ticker ticker;
  private final Sender sender;
  private final RetryPolicy retry;
  private final FormatRefused formats;
  private final CorrelationIds ids;
  private final CallDeadlines deadlines;
  /** In registration order: the first sees each attempt first (ClientInterceptor, "Order"). */
  private final List<ClientInterceptor> interceptors;
  /** Calls between attempts (connecting, backing off), which the router does not hold then. */
  private final Set<Call> waiting = ConcurrentHashMap.newKeySet();

  CallEngine(ReplyRouter router, Completions completions, ClientTimer scheduler, ClientWork work,
      ClientTransport transport, Sender sender, RetryPolicy retry, FormatRefused formats, CorrelationIds ids,
      CallDeadlines deadlines, List<ClientInterceptor> interceptors, Deadline.Ticker ticker) {
    this.ticker = ticker;
    this.ids = ids;
    this.deadlines = deadlines;
    this.router = router;
    this.completions = completions;
    this.scheduler = scheduler;
    this.work = work;
    this.transport = transport;
    this.sender = sender;
    this.retry = retry;
    this.formats = formats;
    this.interceptors = interceptors;
  }

  /** Calls in flight: waiting for their replies, or for the connection or a retry before they are sent. */
  int pendingCalls() {
    return router.pendingCount() + waiting.size();
  }

  long retries() {
    return retry.retries();
  }

  String brokerDescription() {
    return transport.brokerDescription();
  }

  /** See {@link RpcClient#correlationIdOf}. */
  static String correlationIdOf(CompletableFuture<?> call) {
    PendingCall attempt = call instanceof PendingCall ? (PendingCall) call
        : call instanceof Call ? ((Call) call).attempt : null;
    return attempt == null ? null : attempt.correlationId;
  }

  /** Fails every call in flight with {@code CANCELLED}, those between attempts included; later calls fail so too. */
  void close() {
    sender.close();
    router.failAll(call -> true, call -> new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
    failWaiting();
  }

  /**
   * Fails the calls between attempts. Run again once the timer and the workers are shut down: a
   * call whose attempt failed while {@link #close()} ran may have scheduled its retry after the
   * first sweep, and shutting the timer down dropped that retry; a later one is refused and ends the call.
   */
  void failWaiting() {
    for (Call call : waiting) { // connecting or backing off: not in the router now
      call.end(null, new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
    }
  }

  /**
   * One remote call, in the shape its method was parsed to: a sync method waits for the outcome on
   * the calling thread; an async one returns the future at once and never throws, never blocks on
   * connecting: every failure completes the future.
   */
  Object call(ServiceDescriptor whole, MethodDescriptor method, Object[] args) throws Throwable {
    // One deadline per call, fixed now; a call made inside a handler inherits what is left of its caller's.
    Deadline deadline = Deadline.after(method.timeoutNanos, TimeUnit.NANOSECONDS, ticker).minimum(CallContext.inherited());
    CallShape shape = method.shape;
    ServiceDescriptor service; // the shard whose queue the call goes to: downstream, its queue is the call's
    try {
      service = whole.route(method, args);
      if (method.deduplication != null && method.deduplication.callKeyParameter >= 0) {
        method.deduplication.keyFor(method.key, args); // a bad @CallKey argument fails the call here, like a bad shard key
      }
    } catch (RpcException nullKey) {
      if (shape.async) {
        return CompletableFuture.failedFuture(nullKey);
      }
      throw nullKey;
    }
    if (shape.oneWay) {
      return oneWay(shape, service, method, args, deadline);
    }
    if (shape.streaming) {
      return stream(service, method, args, deadline);
    }
    // The fast path: nothing can follow the first attempt (no retry, no JSON fallback), nobody intercepts it.
    boolean single = interceptors.isEmpty() && !method.retried() && formats.formatFor(service, method) != WireFormat.CBOR;
    if (shape == CallShape.FUTURE) {
      if (single && transport.isConnected()) {
        try {
          PendingCall call = sender.send(null, service, method, args, deadline, Map.of(), null);
          deadlines.arm(call);
          return call;
        } catch (RpcException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
      return new Call(service, method, args, deadline).start();
    }
    if (single) {
      PendingCall call = sender.send(null, service, method, args, deadline, Map.of(), null);
      return SyncWait.await(call, method, deadline, () -> router.expire(call));
    }
    Call call = new Call(service, method, args, deadline).start();
    return SyncWait.await(call, method, deadline, call::expire);
  }

  /**
   * A streaming call: a {@code Stream<T>} method's starts now, and its reader blocks only for an item
   * that has not come; a {@code Flow.Publisher<T>} method's starts at each subscription, with a
   * deadline of its own from then (no shorter than what was left of an inherited one at the method call).
   */
  private Object stream(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
    if (method.shape == CallShape.STREAM) {
      return startStream(service, method, args, deadline).blocking();
    }
    Deadline inherited = CallContext.inherited();
    return (Flow.Publisher<Object>) subscriber -> startStream(service, method, args,
        Deadline.after(method.timeoutNanos, TimeUnit.NANOSECONDS, ticker).minimum(inherited)).subscribe(subscriber);
  }

  private ClientStream startStream(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
    ClientStream stream = new ClientStream(method, sender.streamWindow, deadline, scheduler,
        completions.executorOr(work::execute));
    Call call = new Call(service, method, args, deadline, stream);
    stream.call(call);
    call.start();
    return stream;
  }

  /**
   * A {@code @OneWay} call: one attempt (never retried: nobody can know whether it ran), through the
   * interceptors, sent without {@code reply_to}. With confirms, it ends when the broker confirms the
   * request, or fails with {@code UNAVAILABLE} if the broker returns it; without, once it is written.
   */
  private Object oneWay(CallShape shape, ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline) throws Throwable {
    CompletableFuture<Object> sent = interceptors.isEmpty()
        ? sender.sendOneWay(null, service, method, args, deadline, Map.of())
        : new Chains.Client(interceptors, 0, attempt -> sender.sendOneWay(attempt.correlationId(), attempt.service,
            attempt.method, attempt.arguments, attempt.deadline, attempt.headers()))
            .proceed(new ClientCall(service, method, args, deadline, 1, ids.next(), Map.of()))
            .toCompletableFuture();
    if (shape == CallShape.ONE_WAY_FUTURE) {
      CompletableFuture<Object> result = new CompletableFuture<>();
      ScheduledFuture<?> timer = sent.isDone() ? null : scheduler.schedule(() -> completions.complete(
          result, method, null, noConfirmInTime(method, deadline)), deadline.remainingNanos());
      sent.whenComplete((value, failure) -> {
        if (timer != null) {
          timer.cancel(false);
        }
        completions.complete(result, method, null, failure == null ? null : unwrap(failure));
      });
      return result;
    }
    SyncWait.await(sent, method, deadline, () -> {
      throw noConfirmInTime(method, deadline);
    });
    return null;
  }

  private static RpcException noConfirmInTime(MethodDescriptor method, Deadline deadline) {
    return new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": the broker did not confirm the one-way request within "
        + deadline.budgetMillis() + " ms (it may still have taken it)");
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /**
   * One attempt through the interceptors; the send at the chain's end tells {@code keyed} the call
   * key the interceptors left and {@code sent} about the request it published (so that a deadline or
   * a cancel reaches it).
   */
  private CompletableFuture<Object> intercepted(ClientCall call, Consumer<PendingCall> sent, Consumer<String> keyed) {
    ClientInterceptor.Chain send = attempt -> {
      try {
        keyed.accept(attempt.callKey()); // an interceptor's key holds for the later attempts too
        return sender.send(attempt.correlationId(), attempt.service, attempt.method, attempt.arguments,
            attempt.deadline, attempt.headers(), registered -> {
              registered.replyHeaders = attempt.reply; // before it is published: its reply finds them
              sent.accept(registered);
            }, attempt.callKey());
      } catch (RpcException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    return new Chains.Client(interceptors, 0, send).proceed(call).toCompletableFuture();
  }

  /**
   * A call that may be more than one attempt, of any shape but one-way: one that must wait for the
   * connection first (async: without blocking its caller), one whose attempts the interceptors see,
   * an {@code @Idempotent} one, a CBOR one that may be sent again in JSON. An async call's one timer
   * ends it at its deadline, whatever it is doing then (connecting, backing off, waiting for a
   * reply); a sync call's waiting caller does. Cancelling it cancels the attempt in flight; closing
   * the client fails it.
   */
  private final class Call extends CompletableFuture<Object> {
    /** The call's shard; a round-robin call's retry may take another ({@link RetryPolicy#retryShard}). */
    private volatile ServiceDescriptor service;
    private final MethodDescriptor method;
    private final Object[] args;
    private final Deadline deadline;
    private volatile PendingCall attempt;
    private int attempts;
    private volatile ScheduledFuture<?> timer;
    /** A streaming call's reader, handed to each attempt; null for other calls. */
    private final ClientStream stream;
    /** The key all attempts of a {@code @Deduplicated} call carry, else null; an interceptor may set another. */
    private volatile String callKey;

    Call(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
      this(service, method, args, deadline, null);
    }

    Call(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline, ClientStream stream) {
      this.stream = stream;
      this.callKey = method.deduplication == null ? null : method.deduplication.keyFor(method.key, args);
      this.service = service;
      this.method = method;
      this.args = args;
      this.deadline = deadline;
    }

    Call start() {
      waiting.add(this);
      whenComplete((value, failure) -> ended());
      if (sender.isClosed()) { // close() may have run before this call was in the set
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client is closed"));
        return this;
      }
      if (!method.shape.async) {
        attemptNow(); // a sync caller may block: connects on its own thread, within the deadline
        return this;
      }
      try {
        // The interceptors observe the deadline as the attempt's outcome: then it ends on a worker.
        timer = scheduler.schedule(interceptors.isEmpty() ? this::expire : () -> handOff(this::expire),
            deadline.remainingNanos());
      } catch (RejectedExecutionException clientClosed) {
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
            failed(unwrap(failure));
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
          current = sender.send(null, service, method, args, deadline, Map.of(), this::sent, callKey);
        } catch (RpcException e) {
          failed(e);
          return;
        }
      } else {
        current = intercepted(new ClientCall(service, method, args, deadline, attempts + 1, ids.next(),
            Map.of(), callKey), this::sent, key -> callKey = key);
      }
      current.whenComplete((value, failure) -> {
        // On the thread that completed the attempt, the executor's already if one is set: no second hop.
        if (failure == null) {
          complete(value);
        } else {
          failed(unwrap(failure));
        }
      });
      PendingCall inFlight = attempt;
      if (isDone() && inFlight != null) { // cancelled or expired while sending
        inFlight.cancel(false);
      }
    }

    /** An attempt failed: {@link RetryPolicy} decides what follows. */
    private void failed(Throwable failure) {
      if (!isDone() && retry.resendsInJson(attempt)) {
        attempt = null;
        attempts++;
        waiting.add(this);
        handOff(this::attemptNow); // not run: sent again at once, in JSON, on a worker
        return;
      }
      long backoff = retry.backoffNanos(method, failure, attempts++, deadline);
      if (backoff == RetryPolicy.END || isDone()) {
        end(null, failure);
        return;
      }
      waiting.add(this);
      service = RetryPolicy.retryShard(service, method, args);
      try {
        // The timer only decides when; the attempt (interceptors, connect, publish) runs on a worker.
        scheduler.schedule(() -> handOff(this::attemptNow), backoff);
      } catch (RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client was closed"));
      }
    }

    /** Runs {@code step} on a worker; if the client is closing and the pool refuses it, ends the call. */
    private void handOff(Runnable step) {
      try {
        work.execute(step);
      } catch (RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client was closed"));
      }
    }

    private void sent(PendingCall sent) {
      if (stream != null) {
        sent.stream = stream; // before its request is published: its first item finds it
        stream.attempt(sent);
      }
      attempt = sent;
      waiting.remove(this); // in the router now
    }

    /** The deadline: ends the attempt in flight, or the call itself if it has none now. */
    void expire() {
      PendingCall current = attempt;
      if (current != null && !current.isDone()) {
        // Completes this call through the attempt's whenComplete, or below if that goes through an executor.
        end(null, router.expire(current));
        return;
      }
      end(null, current != null ? ReplyRouter.deadlineExceeded(method, deadline) : RpcException.deadlineExceeded(
          method.key + ": no reply within " + deadline.budgetMillis() + (method.shape.async
              ? " ms (not sent: the connection was not ready)" : " ms (the request was not sent yet)"),
          RpcException.DeadlineCause.NOT_SENT));
    }

    void end(Object value, Throwable failure) {
      if (!isDone()) {
        completions.complete(this, method, value, failure);
      }
    }

    private void ended() {
      waiting.remove(this);
      ScheduledFuture<?> task = timer;
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
