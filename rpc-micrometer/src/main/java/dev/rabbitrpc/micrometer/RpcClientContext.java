package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.ClientCall;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.RequestReplySenderContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The context of a {@link RabbitRpcObservation#CLIENT} observation: the attempt, and once it has
 * ended its outcome. Its carrier collects the headers a tracing handler propagates (W3C
 * {@code traceparent}, {@code tracestate}, {@code baggage}); {@link ObservationClientInterceptor}
 * puts them on the request as string headers.
 *
 * <p>Not thread-safe: the observation's handlers use it as Micrometer says (start on the sending
 * thread, stop on the reply thread, never at once).
 */
public final class RpcClientContext extends RequestReplySenderContext<Map<String, String>, Object> {
  private final ClientCall call;
  private String statusCode;

  RpcClientContext(ClientCall call) {
    super((carrier, key, value) -> carrier.put(key, value), Kind.CLIENT);
    this.call = call;
    setCarrier(new LinkedHashMap<>());
    setRemoteServiceName(call.queue());
  }

  /** The attempt observed. */
  public ClientCall call() {
    return call;
  }

  /**
   * The application headers of the attempt's reply ({@link ClientCall#replyHeaders()}): set when
   * the observation stops, empty before, or if no reply came. With {@link TraceContextReplyHandler}
   * on the server, they hold the server span's {@code traceparent} (and {@code tracestate}, if any).
   */
  public Map<String, String> replyHeaders() {
    return call.replyHeaders();
  }

  /** {@code OK} or the code's name once the attempt has ended, else null. */
  public String statusCode() {
    return statusCode;
  }

  void statusCode(String statusCode) {
    this.statusCode = statusCode;
  }
}
