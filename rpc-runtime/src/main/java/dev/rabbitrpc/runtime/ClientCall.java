package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One attempt of a call, as a {@link ClientInterceptor} sees it: beside the service, method and
 * arguments ({@link RpcCall}), the time left of the call's one deadline, the attempt's number and
 * correlation id, and the application headers it will carry.
 *
 * <p>Immutable and thread-safe; {@link #withHeader} returns a copy.
 */
public final class ClientCall extends RpcCall {
  final Deadline deadline;
  private final int attempt;
  private final String correlationId;
  private final Map<String, String> headers;

  ClientCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Deadline deadline, int attempt,
      String correlationId, Map<String, String> headers) {
    super(service, method, arguments);
    this.deadline = deadline;
    this.attempt = attempt;
    this.correlationId = correlationId;
    this.headers = headers;
  }

  /** The attempt's correlation id: each attempt (each retry) has its own. */
  public String correlationId() {
    return correlationId;
  }

  /** What is left of the call's deadline; zero or negative once it has passed. */
  public Duration timeRemaining() {
    return Duration.ofNanos(deadline.remainingNanos());
  }

  /** 1 for a call's first attempt, 2 for its first retry, and so on. */
  public int attempt() {
    return attempt;
  }

  /** The application headers the request will carry (read-only). */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * This call with one more application header (or another value for it). Names starting with
   * {@code rpc-} belong to the protocol and are refused.
   *
   * @throws IllegalArgumentException for an empty, reserved or too long name, or a null value
   */
  public ClientCall withHeader(String name, String value) {
    ApplicationHeaders.check(name, value);
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new ClientCall(service, method, arguments, deadline, attempt, correlationId, Collections.unmodifiableMap(more));
  }

  @Override
  public String toString() {
    return "ClientCall[" + method.key + " on " + service.queue + ", attempt " + attempt + "]";
  }
}
