package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request body into a call of the implementation and its outcome into a reply body,
 * independent of AMQP. Only methods declared on the exported interface are dispatchable.
 *
 * <p>The request's content type chooses the format (docs/PROTOCOL.md, {@link WireFormat}): JSON or
 * CBOR ({@link WireBody}), or plain text ({@link PlainText}) for a request without one; the reply is
 * in the request's format. A content type this version does not read is answered {@code PROTOCOL}
 * in JSON, naming it, without running anything.
 *
 * <p>Thread-safe: any number of workers may dispatch at once.
 */
final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  final ServiceDescriptor service;
  private final Object implementation;
  private final Codec codec;
  private final MessageSizeLimit messageSizeLimit;
  private final LongAdder cancelled = new LongAdder();
  /** Requests refused before any method ran, by reason (see {@link ServerStats#rejectedRequests}). */
  private final LongAdder tooLarge = new LongAdder();
  private final LongAdder unknownMethod = new LongAdder();
  private final LongAdder unreadable = new LongAdder();
  final Cancellations cancellations = new Cancellations();
  /** Streaming calls in progress, steered by their callers through the server's control queue. */
  final ServerStreams streams = new ServerStreams();
  /** In registration order (ServerInterceptor, "Order"). */
  private final List<ServerInterceptor> interceptors;
  /** The method plain-text requests call, or null if this service cannot take them. */
  private final MethodDescriptor plainMethod;
  /** rpc.describe, answered here with {@link #contract()}; null if the server does not describe itself. */
  private final MethodDescriptor describeMethod;
  /** The service's contract, made at the first describe request. */
  private volatile ServiceContract contract;
  private final ReplyWriter writer;
  /** Runs {@code @Deduplicated} methods at most once per call key; null without a reply store. */
  private final Deduplicator deduplicator;

  Dispatcher(ServiceDescriptor service, Object implementation, Codec codec, int maxMessageSize) {
    this(service, implementation, codec, new MessageSizeLimit(maxMessageSize), List.of());
  }

  Dispatcher(ServiceDescriptor service, Object implementation, Codec codec, int maxMessageSize,
      List<ServerInterceptor> interceptors) {
    this(service, implementation, codec, new MessageSizeLimit(maxMessageSize), interceptors);
  }

  Dispatcher(ServiceDescriptor service, Object implementation, Codec codec, MessageSizeLimit messageSizeLimit,
      List<ServerInterceptor> interceptors) {
    this(service, implementation, codec, messageSizeLimit, interceptors, true);
  }

  /**
   * @param describable answer rpc.describe with the service's {@link ServiceContract}; if false,
   *     it is an unknown method ({@code UNKNOWN_METHOD}) like any other name the service lacks
   */
  Dispatcher(ServiceDescriptor service, Object implementation, Codec codec, MessageSizeLimit messageSizeLimit,
      List<ServerInterceptor> interceptors, boolean describable) {
    this(service, implementation, codec, messageSizeLimit, interceptors, describable, null);
  }

  /**
   * @param replyStore where {@code @Deduplicated} methods' replies are kept ({@link Deduplicator});
   *     null if the server has none (then such a method's requests run as any other's)
   */
  Dispatcher(ServiceDescriptor service, Object implementation, Codec codec, MessageSizeLimit messageSizeLimit,
      List<ServerInterceptor> interceptors, boolean describable, ReplyStore replyStore) {
    this.writer = new ReplyWriter(service, codec, messageSizeLimit);
    this.deduplicator = replyStore == null ? null : new Deduplicator(service.serviceQueue, replyStore, writer);
    this.describeMethod = describable
        ? ServiceDescriptor.parse(Describe.class, codec, Duration.ofSeconds(1), true).methods().get(0) : null;
    this.interceptors = interceptors;
    this.service = service;
    this.implementation = implementation;
    this.codec = codec;
    this.messageSizeLimit = messageSizeLimit;
    this.plainMethod = service.plainTextMethod();
    for (MethodDescriptor method : service.methods()) {
      method.method.trySetAccessible(); // interfaces need not be public
    }
  }

  /**
   * Checks the headers, decodes, invokes and replies.
   *
   * @param contentType the request's content type; null or empty means plain text, see {@link WireFormat#of(String)}
   * @param headers the request's headers, may be null
   * @param redelivered the broker delivers this request again (a server died before acking it)
   * @param correlationId the request's correlation id, by which (with its cancel key) a caller may cancel it
   */
  void dispatch(String contentType, Map<String, Object> headers, byte[] body, boolean redelivered, String correlationId,
      ReplySink sink) {
    dispatch(service, contentType, headers, body, redelivered, correlationId, sink);
  }

  /**
   * Like {@link #dispatch(String, Map, byte[], boolean, String, ReplySink)}, for a request taken from
   * the queue of shard {@code served} of the service: a {@link ServerInterceptor} sees that queue
   * as the call's {@link RpcCall#queue()}.
   */
  void dispatch(ServiceDescriptor served, String contentType, Map<String, Object> headers, byte[] body,
      boolean redelivered, String correlationId, ReplySink sink) {
    WireFormat format = WireFormat.of(contentType);
    if (format == null) {
      // Not run: the format decides what the body means. Answered in JSON, which every peer reads.
      unreadable.increment();
      writer.refuse(sink, WireFormat.JSON, Code.PROTOCOL, unsupported(contentType));
      return;
    }
    int limit = messageSizeLimit.bytes();
    if (body.length > limit) {
      tooLarge.increment();
      writer.refuse(sink, format, Code.RESOURCE_EXHAUSTED,
          "the request has " + body.length + " bytes, more than the server's limit of " + limit);
      return;
    }
    long deadlineMillis = WireHeaders.deadlineOf(headers);
    // Saturated: rpc-deadline = Long.MAX_VALUE is merely far away, never an overflow into the past.
    Deadline deadline = deadlineMillis == 0 ? null : Deadline.fromEpochMillis(deadlineMillis);
    WireBody.Request request;
    String callKey;
    try {
      WireHeaders.checkRequest(headers);
      callKey = WireHeaders.callKeyOf(headers);
      request = format == WireFormat.PLAIN ? decodePlain(body)
          : WireBody.decodeRequest(codec.mapper(format), service, describeMethod, body);
    } catch (RpcException e) {
      log.debug("rejected a request to {}: {} {}", service.queue, e.code(), e.getMessage());
      (e.code() == Code.UNKNOWN_METHOD ? unknownMethod : unreadable).increment();
      writer.refuse(sink, format, e.code(), e.getMessage());
      return;
    }
    MethodDescriptor method = request.method();
    if (!sink.expectsReply() && !method.oneWay) {
      sink.reject("the request for " + method.wireName + " has no reply_to, and the method is not @OneWay");
      return;
    }
    if (method == describeMethod) {
      // The protocol's own request: answered here, no user code or interceptor runs (docs/PROTOCOL.md).
      writer.result(sink, format, method, contract());
      return;
    }
    if (callKey != null && deduplicator != null && method.deduplication != null) {
      if (deadline != null && deadline.isExpired()) {
        writer.expired(sink, format, method.wireName, deadline); // its caller gave up: nothing to claim for
        return;
      }
      // At most once per call key (docs/PROTOCOL.md, "Replayed replies"): the interceptors run first, as
      // for any request (an authenticating one refuses before any claim); the chain's end claims the key.
      Deduplicator.Claimed claimed = new Deduplicator.Claimed();
      Invocation invocation = start(served, method, request.args(), headers, deadline, correlationId, format, sink,
          (m, args, d, stream) -> deduplicator.claimAndRun(claimed, m, format, callKey, body, redelivered, d,
              () -> invoke(m, args, d, stream)));
      if (invocation != null) {
        deduplicator.reply(claimed, invocation, method, format, callKey, deadline, sink);
      }
      return;
    }
    if (redelivered && !method.idempotent) {
      // It may have run already on a server that died before acking: running it again could do it twice.
      writer.error(sink, format, Code.UNAVAILABLE, null, "the request for " + method.wireName
          + " was redelivered after a server failure and may or may not have run; it is not run again"
          + " because the method is not @Idempotent");
      return;
    }
    Invocation invocation = start(served, method, request.args(), headers, deadline, correlationId, format, sink,
        this::invoke);
    if (invocation != null) {
      writer.whenDone(withReplyHeaders(sink, invocation.replyHeaders()), format, method, deadline, invocation.outcome());
    }
  }

  /** The end of the server interceptors' chain: runs the method ({@link #invoke}, or a deduplicated call's claim first). */
  @FunctionalInterface
  interface Terminal {
    CompletableFuture<Object> invoke(MethodDescriptor method, Object[] args, Deadline deadline, StreamOut stream);
  }

  /**
   * Runs the method through the interceptors to {@code terminal}, inside the request's deadline,
   * unless the deadline has passed or the caller cancelled it: then the request is answered here and
   * null returned.
   */
  private Invocation start(ServiceDescriptor served, MethodDescriptor method, Object[] args,
      Map<String, Object> headers, Deadline deadline, String correlationId, WireFormat format, ReplySink sink,
      Terminal terminal) {
    if (deadline != null && deadline.isExpired()) {
      writer.expired(sink, format, method.wireName, deadline);
      return null;
    }
    Cancellations.Running running =
        cancellations.start(correlationId, WireHeaders.cancelKeyOf(headers));
    if (running == null) {
      cancelled.increment();
      writer.error(sink, format, Code.CANCELLED, null, "the caller cancelled " + method.wireName + " before it ran");
      return null;
    }
    StreamOut stream = method.shape.streaming ? startStream(method, format, headers, deadline, correlationId, sink) : null;
    if (stream == null && method.shape.streaming) {
      cancellations.finish(running);
      return null;
    }
    CompletableFuture<Object> outcome;
    Map<String, String> replyHeaders = Map.of();
    try {
      if (interceptors.isEmpty()) {
        outcome = terminal.invoke(method, args, deadline, stream);
      } else {
        Chains.Server chain = new Chains.Server(interceptors,
            call -> terminal.invoke(call.method, call.arguments, call.deadline, stream));
        outcome = chain.proceed(new ServerCall(served, method, args, ApplicationHeaders.of(headers),
            correlationId, deadline, Map.of())).toCompletableFuture();
        replyHeaders = chain.lastCall().replyHeaders();
      }
    } finally {
      cancellations.finish(running);
    }
    if (stream != null) {
      outcome.whenComplete((count, failure) -> streams.remove(correlationId, stream));
    }
    return new Invocation(outcome, replyHeaders);
  }

  /**
   * Makes the server side of a streaming call, registered for its caller's credit and cancels; or
   * answers {@code PROTOCOL} and returns null for a request that cannot take a stream.
   */
  private StreamOut startStream(MethodDescriptor method, WireFormat format, Map<String, Object> headers,
      Deadline deadline, String correlationId, ReplySink sink) {
    int window = WireHeaders.streamWindowOf(headers);
    if (window <= 0 || correlationId == null || streams.control() == null) {
      writer.error(sink, format, Code.PROTOCOL, null, method.wireName + " is a streaming method: its request must carry "
          + WireHeaders.STREAM_WINDOW + " (a positive integer) and a correlation_id (docs/PROTOCOL.md, \"Streaming replies\")");
      return null;
    }
    StreamOut stream = new StreamOut(method, codec.mapper(format), sink, messageSizeLimit, deadline, window,
        WireHeaders.streamIdleOf(headers), WireHeaders.cancelKeyOf(headers));
    sink.startStream();
    streams.add(correlationId, stream);
    return stream;
  }

  /**
   * Whether this service's requests may run on the thread that delivered them ({@link InlinePolicy}):
   * not if a method streams (its producer runs as long as its reader reads) or is deduplicated
   * with a reply store (a duplicate waits for the run in progress).
   */
  boolean mayRunOnDeliveryThread() {
    for (MethodDescriptor method : service.methods()) {
      if (method.shape.streaming || (deduplicator != null && method.deduplication != null)) {
        return false;
      }
    }
    return true;
  }

  /** The service's contract, made once (racing workers may each make an equal one). */
  ServiceContract contract() {
    ServiceContract made = contract;
    if (made == null) {
      made = ServiceContract.of(service, codec.mapper());
      contract = made;
    }
    return made;
  }

  /**
   * The sink whose every reply carries {@code replyHeaders}: the sink itself if there are none (no
   * interceptor set any: nothing allocated), else one that hands them to {@link ReplySink#reply(String, byte[], Map)}.
   */
  private static ReplySink withReplyHeaders(ReplySink sink, Map<String, String> replyHeaders) {
    if (replyHeaders.isEmpty()) {
      return sink;
    }
    return new ReplySink() {
      @Override
      public void reply(String status, byte[] body) {
        sink.reply(status, body, replyHeaders);
      }

      @Override
      public boolean expectsReply() {
        return sink.expectsReply();
      }

      @Override
      public void startStream() {
        sink.startStream();
      }

      @Override
      public void item(long seq, byte[] body) throws java.io.IOException {
        sink.item(seq, body);
      }

      @Override
      public void reject(String why) {
        sink.reject(why);
      }
    };
  }

  /**
   * Runs the implementation, inside the request's deadline (inherited by the calls it makes); its
   * outcome as a future: done for a sync method, the method's own future for an async one.
   */
  private CompletableFuture<Object> invoke(MethodDescriptor method, Object[] args, Deadline deadline, StreamOut stream) {
    Object result;
    if (stream != null) {
      try {
        // The items are pulled inside the deadline too: a lazy stream runs the handler's code as it is read.
        result = CallContext.callWithDeadline(deadline, () -> stream.run(method.method.invoke(implementation, args)));
      } catch (InvocationTargetException e) {
        return CompletableFuture.failedFuture(e.getCause());
      } catch (Exception e) {
        return CompletableFuture.failedFuture(
            new RpcException(Code.INTERNAL, "cannot invoke " + method.wireName + ": " + e, e));
      }
      @SuppressWarnings("unchecked") // StreamOut.run's
      CompletableFuture<Object> streamed = (CompletableFuture<Object>) result;
      return streamed;
    }
    try {
      result = CallContext.callWithDeadline(deadline, () -> method.method.invoke(implementation, args));
    } catch (InvocationTargetException e) {
      return CompletableFuture.failedFuture(e.getCause());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(
          new RpcException(Code.INTERNAL, "cannot invoke " + method.wireName + ": " + e, e));
    }
    if (!method.async) {
      return CompletableFuture.completedFuture(result);
    }
    if (result == null) {
      return CompletableFuture.failedFuture(
          new RpcException(Code.INTERNAL, method.wireName + " returned null instead of a CompletableFuture"));
    }
    @SuppressWarnings("unchecked") // a CompletableFuture<T> of the method's declared result type
    CompletableFuture<Object> future = (CompletableFuture<Object>) result;
    return future;
  }

  /** The message of the reply to a request whose content type this version does not read. */
  static String unsupported(String contentType) {
    return "unsupported content_type " + WireFormat.describe(contentType) + "; this server reads "
        + WireFormat.JSON + ", " + WireFormat.CBOR + " and plain text (no content_type)";
  }

  private WireBody.Request decodePlain(byte[] body) {
    if (plainMethod == null) {
      throw new RpcException(Code.PROTOCOL, service.plainTextUnsupported());
    }
    return new WireBody.Request(plainMethod, new Object[] {PlainText.decodeArgument(plainMethod, body)});
  }

  long expiredRequests() {
    return writer.expiredRequests();
  }

  long cancelledRequests() {
    return cancelled.sum();
  }

  long tooLargeRequests() {
    return tooLarge.sum();
  }

  long unknownMethodRequests() {
    return unknownMethod.sum();
  }

  long unreadableRequests() {
    return unreadable.sum();
  }

  /** Replayed replies and the waits for a run in progress; null if the server has no reply store. */
  Deduplicator deduplicator() {
    return deduplicator;
  }

  /**
   * Answers {@code INTERNAL} for a request whose handling threw what nothing else caught (an
   * {@link Error} from a deserializer, say); the reply names the throwable's type, never its stack.
   */
  void replyUnexpected(String contentType, Throwable failure, ReplySink sink) {
    writer.unexpected(contentType, failure, sink);
  }
}
