package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's outcome into its reply, in the request's format (plain text, JSON or CBOR),
 * within the server's message size limit: a result, a handler's exception, a protocol error, a
 * request skipped at its deadline. The {@link Dispatcher} decides what the outcome is; this class
 * only writes it to a {@link ReplySink}.
 *
 * <p>Thread-safe: stateless but for the count of expired requests.
 */
final class ReplyWriter {
  private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

  private final ServiceDescriptor service;
  private final Codec codec;
  private final MessageSizeLimit messageSizeLimit;
  private final LongAdder expired = new LongAdder();

  ReplyWriter(ServiceDescriptor service, Codec codec, MessageSizeLimit messageSizeLimit) {
    this.service = service;
    this.codec = codec;
    this.messageSizeLimit = messageSizeLimit;
  }

  /** Replies with the outcome now if it is done (a sync method), else when it completes, within the deadline. */
  void whenDone(ReplySink sink, WireFormat format, MethodDescriptor method, Deadline deadline,
      CompletableFuture<Object> outcome) {
    if (outcome.isDone() && !outcome.isCompletedExceptionally()) {
      result(sink, format, method, outcome.getNow(null));
      return;
    }
    CompletableFuture<Object> bounded = outcome;
    if (deadline != null && !outcome.isDone()) {
      // An async handler that never completes must not hold its request (unacked) forever.
      bounded = outcome.copy().orTimeout(Math.max(1, deadline.remainingMillisCeil()), TimeUnit.MILLISECONDS);
    }
    bounded.whenComplete((value, failure) -> {
      Throwable cause = unwrap(failure);
      if (cause instanceof TimeoutException) {
        error(sink, format, Code.DEADLINE_EXCEEDED, null, method.wireName + " did not complete before the caller's deadline");
      } else {
        outcome(sink, format, method, value, cause);
      }
    });
  }

  /** A done outcome: the result if {@code failure} is null, else the failure. */
  void outcome(ReplySink sink, WireFormat format, MethodDescriptor method, Object value, Throwable failure) {
    if (failure == null) {
      result(sink, format, method, value);
    } else {
      failure(sink, format, method, unwrap(failure));
    }
  }

  static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** A request refused before its method is known: answered, or dropped if it has nowhere to be answered. */
  void refuse(ReplySink sink, WireFormat format, Code code, String message) {
    if (sink.expectsReply()) {
      error(sink, format, code, null, message);
    } else {
      sink.reject(code + ": " + message);
    }
  }

  void result(ReplySink sink, WireFormat format, MethodDescriptor method, Object result) {
    byte[] encoded;
    try {
      // A stream's end marker: its body is null, its item count a header (ServerReply).
      encoded = format == WireFormat.PLAIN ? PlainText.encodeResult(method, result)
          : WireBody.encodeResult(codec.mapper(format), method, method.shape.streaming ? null : result);
    } catch (RpcException e) {
      log.warn("{}", e.getMessage());
      error(sink, format, e.code(), null, e.getMessage());
      return;
    }
    int limit = messageSizeLimit.bytes();
    if (encoded.length > limit) {
      error(sink, format, Code.RESOURCE_EXHAUSTED, null, "the result of " + method.wireName + " has " + encoded.length
          + " bytes, more than the server's limit of " + limit + " (" + messageSizeLimit.source() + ")");
      return;
    }
    sink.reply(WireHeaders.STATUS_OK, encoded);
  }

  /** Answers a request whose deadline passed without running it; counted and logged at debug. */
  void expired(ReplySink sink, WireFormat format, String what, Deadline deadline) {
    expired.increment();
    long lateMillis = -deadline.remainingMillisCeil();
    log.debug("skipped {} on {}: its deadline had passed {} ms before its turn came", what, service.queue, lateMillis);
    // The caller has given up already and records this reply as a late one, skipped as expired
    // (rpc-expired-ms); the protocol vectors fix the text (docs/protocol-vectors/deadline-exceeded.json).
    sink.replyExpired(Code.DEADLINE_EXCEEDED.name(), errorBody(format, Code.DEADLINE_EXCEEDED, null,
        "the deadline passed before the server ran " + what), Math.max(0, lateMillis));
  }

  long expiredRequests() {
    return expired.sum();
  }

  /** A handler's exception: its own code if it threw an {@link RpcException}, else an application error. */
  void failure(ReplySink sink, WireFormat format, MethodDescriptor method, Throwable failure) {
    if (failure instanceof RpcException) {
      RpcException rpc = (RpcException) failure;
      error(sink, format, rpc.code(), rpc.remoteType(), rpc.getMessage());
      return;
    }
    if (isDeclared(method, failure)) {
      log.debug("{} threw a declared exception", method.key, failure); // part of the method's contract
    } else {
      log.warn(sink.expectsReply() ? "{} threw; the caller gets APPLICATION_ERROR" : "{} threw (a one-way request: nobody is told)", method.key, failure);
    }
    error(sink, format, Code.APPLICATION_ERROR, failure.getClass().getName(), failure.getMessage());
  }

  /** Whether {@code failure} is one of the exceptions the method declares ({@code throws}): part of its contract. */
  static boolean isDeclared(MethodDescriptor method, Throwable failure) {
    for (Class<? extends Throwable> declared : method.declaredExceptions) {
      if (declared.isInstance(failure)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Answers {@code INTERNAL} for a request whose handling threw what nothing else caught (an
   * {@link Error} from a deserializer, say); the reply names the throwable's type, never its stack.
   */
  void unexpected(String contentType, Throwable failure, ReplySink sink) {
    error(sink, WireFormat.ofReplyTo(contentType), Code.INTERNAL, null,
        "the server failed to handle the request to " + service.type.getSimpleName() + ": " + failure);
  }

  void error(ReplySink sink, WireFormat format, Code code, String type, String message) {
    sink.reply(code.name(), errorBody(format, code, type, message));
  }

  /** An error reply's body, in the request's format (plain text, JSON or CBOR). */
  byte[] errorBody(WireFormat format, Code code, String type, String message) {
    return format == WireFormat.PLAIN ? PlainText.encodeError(code, type, message)
        : WireBody.encodeError(codec.mapper(format), code, type, message);
  }
}
