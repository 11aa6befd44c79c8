package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One request as a {@link ServerInterceptor} sees it, decoded and checked: beside the service,
 * method and arguments ({@link RpcCall}), the request's application headers, its correlation id and the time left of its
 * deadline.
 *
 * <p>Immutable and thread-safe.
 */
public final class ServerCall extends RpcCall {
  private final Map<String, String> headers;
  private final String correlationId;
  final Deadline deadline;

  ServerCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Map<String, String> headers,
      String correlationId, Deadline deadline) {
    super(service, method, arguments);
    this.headers = headers;
    this.correlationId = correlationId;
    this.deadline = deadline;
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

  @Override
  public String toString() {
    return "ServerCall[" + method.key + " on " + service.queue + ", id " + correlationId + "]";
  }
}
