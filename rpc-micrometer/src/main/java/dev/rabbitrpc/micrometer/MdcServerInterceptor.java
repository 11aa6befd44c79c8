package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.ServerCall;
import dev.rabbitrpc.runtime.ServerInterceptor;
import java.util.concurrent.CompletionStage;
import org.slf4j.MDC;

/**
 * Puts the request into SLF4J's MDC on the worker thread while the handler runs, and restores what
 * was there afterwards: {@value #CORRELATION_ID} (the request's correlation id), {@value #METHOD}
 * ({@code Service/method}) and, when the request carries a W3C {@code traceparent},
 * {@value #TRACE_ID} (its trace id, which the server's span shares). The MDC is the worker
 * thread's: an async method's code on other threads does not see it.
 *
 * <p>Thread-safe (stateless).
 */
public final class MdcServerInterceptor implements ServerInterceptor {
  /** The MDC key of the request's correlation id. */
  public static final String CORRELATION_ID = "rpc.correlation_id";
  /** The MDC key of {@code Service/method}. */
  public static final String METHOD = "rpc.method";
  /** The MDC key of the trace id (the one micrometer-tracing's own MDC support uses). */
  public static final String TRACE_ID = "traceId";

  @Override
  public CompletionStage<Object> intercept(ServerCall call, Chain chain) {
    String previousId = MDC.get(CORRELATION_ID);
    String previousMethod = MDC.get(METHOD);
    String previousTrace = MDC.get(TRACE_ID);
    try {
      put(CORRELATION_ID, call.correlationId());
      put(METHOD, Keys.method(call));
      put(TRACE_ID, traceId(call.headers().get("traceparent")));
      return chain.proceed(call);
    } finally {
      put(CORRELATION_ID, previousId);
      put(METHOD, previousMethod);
      put(TRACE_ID, previousTrace);
    }
  }

  private static void put(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }

  /**
   * The trace id of a W3C traceparent ({@code version-traceid-parentid-flags}, version 00: 2, 32,
   * 16 and 2 lowercase hex digits), or null if it is not one.
   */
  static String traceId(String traceparent) {
    if (traceparent == null || traceparent.length() < 55 || traceparent.charAt(2) != '-'
        || traceparent.charAt(35) != '-') {
      return null;
    }
    String traceId = traceparent.substring(3, 35);
    for (int i = 0; i < traceId.length(); i++) {
      char c = traceId.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
    }
    return traceId.equals("00000000000000000000000000000000") ? null : traceId;
  }
}
