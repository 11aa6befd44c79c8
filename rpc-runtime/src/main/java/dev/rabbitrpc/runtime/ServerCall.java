package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One request as a {@link ServerInterceptor} sees it, decoded and checked: beside the service,
 * method and arguments ({@link RpcCall}), the request's application headers, its correlation id and the time left of its
 * deadline, and the application headers its reply will carry.
 *
 * <p><b>Reply headers:</b> an interceptor adds one with {@link #withReplyHeader} and passes the
 * copy on ({@code chain.proceed(call.withReplyHeader("x-served-by", host))}). The reply carries
 * the reply headers of the last call passed on through the chain (the one the implementation ran
 * with, or the one given to the interceptor that answered without proceeding), whatever the
 * outcome: a result, the method's exception, an interceptor's refusal or the deadline. They are
 * set before the outcome is known: an interceptor cannot add one from the outcome stage. A reply
 * the server sends without running the chain (a malformed or expired request, say) carries none.
 *
 * <p>Immutable and thread-safe; {@link #withReplyHeader} returns a copy.
 */
public final class ServerCall extends RpcCall {
  private final Map<String, String> headers;
  private final String correlationId;
  final Deadline deadline;
  private final Map<String, String> replyHeaders;

  ServerCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Map<String, String> headers,
      String correlationId, Deadline deadline, Map<String, String> replyHeaders) {
    super(service, method, arguments);
    this.headers = headers;
    this.correlationId = correlationId;
    this.deadline = deadline;
    this.replyHeaders = replyHeaders;
  }

  /** The request's application headers: string headers whose names do not start with {@code rpc-}. */
  public Map<String, String> headers() {
    return headers;
  }

  /** The request's correlation id, or null if it has none (a plain-text peer may send none). */
  public String correlationId() {
    return correlationId;
  }

  /** What is left of the request's deadline, or empty if it carries none. */
  public Optional<Duration> timeRemaining() {
    return deadline == null ? Optional.empty() : Optional.of(Duration.ofNanos(deadline.remainingNanos()));
  }

  /** The application headers the reply will carry (read-only): those set by {@link #withReplyHeader}. */
  public Map<String, String> replyHeaders() {
    return replyHeaders;
  }

  /**
   * This call with one more application header on its reply (or another value for it), for the
   * interceptor to pass on. The same rules as for request headers ({@link ClientCall#withHeader}):
   * names starting with {@code rpc-} (in any case) belong to the protocol and are refused, so an
   * interceptor can never change {@code rpc-status} or any other protocol header of the reply.
   *
   * @throws IllegalArgumentException for an empty, reserved or too long name, or a null value
   */
  public ServerCall withReplyHeader(String name, String value) {
    return new ServerCall(service, method, arguments, headers, correlationId, deadline,
        ApplicationHeaders.with(replyHeaders, name, value));
  }

  @Override
  public String toString() {
    return "ServerCall[" + method.key + " on " + service.queue + ", id " + correlationId + "]";
  }
}
