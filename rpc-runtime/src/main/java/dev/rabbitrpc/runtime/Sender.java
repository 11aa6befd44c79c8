package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends one attempt, of every call shape: checks the preconditions in one place (client closed,
 * deadline passed, too many in flight, encoding, size, broker blocked, channel, the connect within
 * the deadline), then registers a request with the router and publishes it, or publishes a one-way
 * request. Failures are typed {@link RpcException}s whose message starts with the method's name;
 * nothing stays registered after one.
 *
 * <p>Thread-safe; runs on whichever thread sends the attempt (the caller's, the connecting thread,
 * an {@code rpc-client-work} thread), and may block it while connecting, within the deadline.
 */
final class Sender {
  /** The largest {@code expiration} RabbitMQ accepts; a larger one closes the channel. */
  static final long MAX_EXPIRATION_MILLIS = 4_294_967_295L;

  private final Codec codec;
  private final int maxInFlight;
  private final MessageSizeLimit messageSizeLimit;
  private final ReplyRouter router;
  private final ClientTransport transport;
  /** Before the first request is published: starts the consumer probe. */
  private final Runnable beforePublish;
  private final FormatRefused formats;
  private final CorrelationIds ids;
  /** {@code @OneWay} calls wait for the broker's publisher confirm. */
  private final boolean oneWayConfirms;
  /** The items a streaming call lets its server send ahead of what its reader took ({@code rpc-stream-window}). */
  final int streamWindow;
  private volatile boolean closed;

  Sender(Codec codec, int maxInFlight, MessageSizeLimit messageSizeLimit, ReplyRouter router, ClientTransport transport,
      Runnable beforePublish, FormatRefused formats, CorrelationIds ids, boolean oneWayConfirms, int streamWindow) {
    this.streamWindow = streamWindow;
    this.ids = ids;
    this.codec = codec;
    this.maxInFlight = maxInFlight;
    this.messageSizeLimit = messageSizeLimit;
    this.router = router;
    this.transport = transport;
    this.beforePublish = beforePublish;
    this.formats = formats;
    this.oneWayConfirms = oneWayConfirms;
  }

  /** Every later send fails {@code CANCELLED}. */
  void close() {
    closed = true;
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Encodes, connects if needed (within the deadline), registers and publishes one attempt of a
   * request; the returned call is pending until its reply.
   *
   * @param correlationId the attempt's id if an interceptor was shown it already, else null for a new one
   * @param registered told of the attempt once it is registered, before it is published (so that a
   *     reply, a deadline or a cancel can never come before its caller knows the attempt); may be null
   * @param callKey the key every attempt of a {@code @Deduplicated} call carries ({@code rpc-call-key}), else null
   * @throws RpcException if a precondition fails or the publish does; nothing is left registered
   */
  PendingCall send(String correlationId, ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline, Map<String, String> applicationHeaders, Consumer<PendingCall> registered) {
    return send(correlationId, service, method, args, deadline, applicationHeaders, registered, null);
  }

  /** {@link #send(String, ServiceDescriptor, MethodDescriptor, Object[], Deadline, Map, Consumer)} with a call key. */
  PendingCall send(String correlationId, ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline, Map<String, String> applicationHeaders, Consumer<PendingCall> registered, String callKey) {
    WireFormat format = formats.formatFor(service, method);
    byte[] body = encode(method, args, deadline, format, true);
    ClientTransport.RequestChannel channel = connected(method, () -> transport.requestChannel(deadline)); // never past the deadline
    PendingCall call = router.register(correlationId == null ? ids.next() : correlationId, method, channel,
        service.queue, deadline, format);
    if (registered != null) {
      registered.accept(call);
    }
    try {
      long remainingMillis = remainingAfterConnect(method, deadline);
      beforePublish.run();
      // RabbitMQ drops a request still queued at its deadline; the server checks the header too.
      AMQP.BasicProperties properties = WireHeaders.request(format, call.correlationId, channel.replyTo(), deadline,
          expirationMillis(remainingMillis), applicationHeaders, method.shape.streaming ? streamWindow : 0,
          TimeUnit.NANOSECONDS.toMillis(method.idleNanos), callKey);
      transport.checkNotBlocked();
      channel.publish(service.queue, properties, body);
    } catch (IOException | RuntimeException e) {
      call.forget();
      throw unavailable(method, e);
    }
    return call;
  }

  /**
   * Encodes and publishes a one-way request: {@code mandatory}, no {@code reply_to}, nothing
   * registered. Never throws: the future is the broker's confirm, or done once written when
   * confirms are off, or failed with the precondition or publish that failed.
   */
  CompletableFuture<Object> sendOneWay(String correlationId, ServiceDescriptor service, MethodDescriptor method,
      Object[] args, Deadline deadline, Map<String, String> applicationHeaders) {
    try {
      byte[] body = encode(method, args, deadline, null, false);
      String id = correlationId != null ? correlationId : ids.next();
      ClientTransport.OneWayPublisher confirming =
          oneWayConfirms ? connected(method, () -> transport.oneWayPublisher(deadline)) : null;
      ClientTransport.RequestChannel plain =
          oneWayConfirms ? null : connected(method, () -> transport.requestChannel(deadline));
      AMQP.BasicProperties properties = WireHeaders.oneWayRequest(id, deadline,
          expirationMillis(remainingAfterConnect(method, deadline)), applicationHeaders);
      try {
        if (confirming != null) {
          return confirming.publish(service.queue, properties, body);
        }
        plain.publish(service.queue, properties, body);
        return CompletableFuture.completedFuture(null);
      } catch (IOException | RuntimeException e) {
        throw unavailable(method, e);
      }
    } catch (RpcException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The preconditions before any I/O, in order: closed, deadline, in flight (requests only), then
   * the body, encoded in {@code format} (null: the codec's default, for one-way requests), within
   * the size limit.
   */
  private byte[] encode(MethodDescriptor method, Object[] args, Deadline deadline, WireFormat format,
      boolean counted) {
    if (closed) {
      throw new RpcException(Code.CANCELLED, method.key + ": the client is closed");
    }
    if (deadline.isExpired()) {
      throw RpcException.deadlineExceeded(method.key + ": the deadline passed before the call was sent",
          RpcException.DeadlineCause.NOT_SENT);
    }
    if (counted && router.pendingCount() >= maxInFlight) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED,
          method.key + ": " + maxInFlight + " calls already in flight (RpcClient.Builder.maxInFlight)");
    }
    byte[] body = format == WireFormat.PLAIN ? PlainText.encodeArgument(method, args[0])
        : WireBody.encodeRequest(format == null ? codec.mapper() : codec.mapper(format), method, args);
    int limit = messageSizeLimit.bytes();
    if (body.length > limit) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED, method.key + ": the request has " + body.length
          + " bytes, more than the limit of " + limit + " (" + messageSizeLimit.source() + ")");
    }
    return body;
  }

  /** A channel to publish on, once the broker is not blocking publishers; connects first if needed. */
  private <C> C connected(MethodDescriptor method, java.util.function.Supplier<C> channel) {
    try {
      transport.checkNotBlocked();
      return channel.get();
    } catch (RpcException e) {
      throw e.withMessage(method.key + ": " + e.getMessage());
    }
  }

  private static long remainingAfterConnect(MethodDescriptor method, Deadline deadline) {
    long remainingMillis = deadline.remainingMillisCeil();
    if (remainingMillis <= 0) {
      throw RpcException.deadlineExceeded(method.key + ": the deadline passed while connecting",
          RpcException.DeadlineCause.NOT_SENT);
    }
    return remainingMillis;
  }

  private RpcException unavailable(MethodDescriptor method, Exception e) {
    return e instanceof RpcException ? (RpcException) e : new RpcException(Code.UNAVAILABLE,
        method.key + ": cannot send the request to " + transport.brokerDescription() + ": " + e.getMessage(), e);
  }

  /** A request's {@code expiration}: its time left, within RabbitMQ's limit; -1 (none) on another broker. */
  private long expirationMillis(long remainingMillis) {
    return transport.connectedToRabbitMq() ? Math.min(remainingMillis, MAX_EXPIRATION_MILLIS) : -1;
  }
}
