package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request body into a call of the implementation and its outcome into a reply body,
 * independent of AMQP. Only methods declared on the exported interface are dispatchable.
 *
 * <p>Thread-safe: any number of workers may dispatch at once.
 */
final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  /** Receives the one reply of a request; called exactly once, maybe on another thread. */
  interface ReplySink {
    void reply(String status, byte[] body);
  }

  final ServiceDescriptor service;
  private final Object implementation;
  private final ObjectMapper mapper;

  Dispatcher(ServiceDescriptor service, Object implementation, ObjectMapper mapper) {
    this.service = service;
    this.implementation = implementation;
    this.mapper = mapper;
    for (MethodDescriptor method : service.methods()) {
      method.method.trySetAccessible(); // interfaces need not be public
    }
  }

  /**
   * Decodes, invokes and replies.
   *
   * @param deadlineMillis the caller's absolute deadline (epoch ms), or 0 if the request has none
   */
  void dispatch(byte[] body, long deadlineMillis, ReplySink sink) {
    Envelope.Request request;
    try {
      request = Envelope.decodeRequest(mapper, service, body);
    } catch (RpcException e) {
      log.debug("rejected a request to {}: {} {}", service.queue, e.code(), e.getMessage());
      replyError(sink, e.code(), null, e.getMessage());
      return;
    }
    MethodDescriptor method = request.method();
    if (deadlineMillis != 0 && System.currentTimeMillis() >= deadlineMillis) {
      log.debug("skipped {}: its deadline passed before it ran", method.key);
      replyError(sink, Code.DEADLINE_EXCEEDED, null, "the deadline passed before the server ran " + method.wireName);
      return;
    }
    Object result;
    try {
      result = method.method.invoke(implementation, request.args());
    } catch (InvocationTargetException e) {
      replyFailure(sink, method, e.getCause());
      return;
    } catch (IllegalAccessException | RuntimeException e) {
      replyFailure(sink, method, new RpcException(Code.INTERNAL, "cannot invoke " + method.wireName + ": " + e, e));
      return;
    }
    if (!method.async) {
      replyResult(sink, method, result);
      return;
    }
    if (result == null) {
      replyError(sink, Code.INTERNAL, null, method.wireName + " returned null instead of a CompletableFuture");
      return;
    }
    CompletableFuture<?> future = (CompletableFuture<?>) result;
    if (deadlineMillis != 0) {
      // An async handler that never completes must not hold its request (unacked) forever.
      future = future.copy().orTimeout(Math.max(1, deadlineMillis - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    }
    future.whenComplete((value, failure) -> {
      if (failure == null) {
        replyResult(sink, method, value);
      } else {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof TimeoutException) {
          replyError(sink, Code.DEADLINE_EXCEEDED, null, method.wireName + " did not complete before the caller's deadline");
        } else {
          replyFailure(sink, method, cause);
        }
      }
    });
  }

  private void replyResult(ReplySink sink, MethodDescriptor method, Object result) {
    byte[] encoded;
    try {
      encoded = Envelope.encodeResult(method, result);
    } catch (RpcException e) {
      log.warn("{}", e.getMessage());
      replyError(sink, e.code(), null, e.getMessage());
      return;
    }
    sink.reply(Envelope.STATUS_OK, encoded);
  }

  /** A handler's exception: its own code if it threw an {@link RpcException}, else an application error. */
  private void replyFailure(ReplySink sink, MethodDescriptor method, Throwable failure) {
    if (failure instanceof RpcException) {
      RpcException rpc = (RpcException) failure;
      replyError(sink, rpc.code(), rpc.remoteType(), rpc.getMessage());
      return;
    }
    log.debug("{} threw", method.key, failure);
    replyError(sink, Code.APPLICATION_ERROR, failure.getClass().getName(), failure.getMessage());
  }

  void replyError(ReplySink sink, Code code, String type, String message) {
    sink.reply(code.name(), Envelope.encodeError(mapper, code, type, message));
  }
}
