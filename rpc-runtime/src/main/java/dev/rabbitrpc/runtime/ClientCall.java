package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.Map;

/**
 * One attempt of a call, as a {@link ClientInterceptor} sees it: beside the service, method and
 * arguments ({@link RpcCall}), the time left of the call's one deadline, the attempt's number and
 * correlation id, the application headers it will carry, and once its reply has come the
 * application headers of the reply ({@link #replyHeaders()}).
 *
 * <p>Immutable and thread-safe, but for {@link #replyHeaders()}, which the attempt's reply sets
 * once; {@link #withHeader} returns a copy, which shares the attempt's reply headers.
 */
public final class ClientCall extends RpcCall {
  final Deadline deadline;
  private final int attempt;
  private final String correlationId;
  private final Map<String, String> headers;
  private final String callKey;
  /** The attempt's reply headers: one for the attempt, shared by every copy of its call. */
  final ReplyHeaders reply;

  ClientCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Deadline deadline, int attempt,
      String correlationId, Map<String, String> headers) {
    this(service, method, arguments, deadline, attempt, correlationId, headers, null, new ReplyHeaders());
  }

  ClientCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Deadline deadline, int attempt,
      String correlationId, Map<String, String> headers, String callKey) {
    this(service, method, arguments, deadline, attempt, correlationId, headers, callKey, new ReplyHeaders());
  }

  private ClientCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments, Deadline deadline,
      int attempt, String correlationId, Map<String, String> headers, String callKey, ReplyHeaders reply) {
    super(service, method, arguments);
    this.callKey = callKey;
    this.deadline = deadline;
    this.attempt = attempt;
    this.correlationId = correlationId;
    this.headers = headers;
    this.reply = reply;
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
    return new ClientCall(service, method, arguments, deadline, attempt, correlationId,
        ApplicationHeaders.with(headers, name, value), callKey, reply);
  }

  /**
   * The key every attempt of this call carries, by which its server runs it at most once: for a
   * {@code @Deduplicated} method, the {@code @CallKey} argument's text or a fresh random key (the
   * same for every attempt of one call); null for other methods.
   */
  public String callKey() {
    return callKey;
  }

  /**
   * This call with another key, for an interceptor that knows the operation's own identifier (say,
   * from the request being served); this and every later attempt of the call carry it.
   *
   * @throws IllegalStateException if the method is not {@code @Deduplicated}
   * @throws dev.rabbitrpc.api.RpcException {@code INVALID_ARGUMENT} for a null, empty or too long key (over 200 characters)
   */
  public ClientCall withCallKey(String key) {
    if (method.deduplication == null) {
      throw new IllegalStateException(method.key + " is not @Deduplicated: its calls carry no key");
    }
    return new ClientCall(service, method, arguments, deadline, attempt, correlationId, headers,
        Deduplication.checked(method.key, key), reply);
  }

  /**
   * The application headers of the attempt's reply (read-only): the string headers whose names do
   * not start with {@code rpc-} that the server's interceptors set ({@link ServerCall#withReplyHeader}).
   * Set before the attempt's outcome stage completes, so an interceptor reads them from it:
   *
   * <pre>{@code
   * (call, chain) -> chain.proceed(call).whenComplete((result, failure) -> log(call.replyHeaders()))
   * }</pre>
   *
   * <p>Empty until then, and for an attempt that got no reply (it timed out, was not sent, was
   * {@code @OneWay}, or its reply had no application headers). A failed attempt whose reply came
   * (an error reply) has them as a successful one does.
   */
  public Map<String, String> replyHeaders() {
    return reply.headers;
  }

  @Override
  public String toString() {
    return "ClientCall[" + method.key + " on " + service.queue + ", attempt " + attempt + "]";
  }

  /**
   * Whether the attempt's reply is one the server kept for an earlier attempt of the call (the same
   * call key) and sent again ({@code rpc-replayed}, docs/PROTOCOL.md, "Replayed replies"): the
   * method did not run for this attempt; it ran once, earlier. Set, like {@link #replyHeaders()},
   * before the attempt's outcome stage completes; false until then and for an attempt that got no
   * reply. Only a {@code @Deduplicated} method's replies can be replayed.
   */
  public boolean replayed() {
    return reply.replayed;
  }

  /** The slot an attempt's reply fills (by {@link ReplyRouter#onReply}, before the attempt completes). */
  static final class ReplyHeaders {
    volatile Map<String, String> headers = Map.of();
    volatile boolean replayed;
  }
}
