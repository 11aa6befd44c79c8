package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.ServerCall;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.RequestReplyReceiverContext;

/**
 * The context of a {@link RabbitRpcObservation#SERVER} observation: the request, and once it has
 * ended its outcome. A tracing handler reads the caller's trace context from the request's
 * application headers ({@link ServerCall#headers()}), so the server's span is the child of the
 * client's. A handler may put headers on the reply ({@link #putReplyHeader}), as
 * {@link TraceContextReplyHandler} puts the server span's trace context.
 *
 * <p>Not thread-safe: the observation's handlers use it as Micrometer says (start on the worker
 * thread, stop where the handler's outcome completes, never at once).
 */
public final class RpcServerContext extends RequestReplyReceiverContext<ServerCall, Object> {
  private String statusCode;

  RpcServerContext(ServerCall call) {
    super((carrier, key) -> carrier.headers().get(key), Kind.SERVER);
    setCarrier(call);
    setRemoteServiceName(call.queue());
  }

  /**
   * The request observed: the call the server's chain goes on with, carrying the reply headers
   * set by {@link #putReplyHeader}.
   */
  public ServerCall call() {
    return getCarrier();
  }

  /**
   * Puts an application header on the request's reply ({@link ServerCall#withReplyHeader}), for
   * a handler to call when the observation starts (as {@link TraceContextReplyHandler} does): the
   * interceptor passes on the call with the headers set by then.
   *
   * @throws IllegalArgumentException for an empty, reserved ({@code rpc-}) or too long name, or a null value
   */
  public void putReplyHeader(String name, String value) {
    setCarrier(getCarrier().withReplyHeader(name, value));
  }

  /** {@code OK} or the code's name once the request has ended, else null. */
  public String statusCode() {
    return statusCode;
  }

  void statusCode(String statusCode) {
    this.statusCode = statusCode;
  }
}
