package dev.rabbitrpc.runtime;

/**
 * Creates client proxies of service interfaces on the process-wide default client.
 *
 * <pre>{@code
 * FibonacciService fib = RpcProxy.create(FibonacciService.class);
 * int r = fib.fib(30);
 * }</pre>
 *
 * <p>The default client's broker is the environment variable {@code RPC_AMQP_URI}, else the
 * system property {@code rpc.amqp.uri}, else {@code amqp://guest:guest@localhost:5672}. It connects
 * on the first call and closes when the JVM exits. For anything else — another broker, a timeout,
 * a codec — use {@link RpcClient#builder()}.
 *
 * <p>This class is thread-safe.
 */
public final class RpcProxy {
  private RpcProxy() {}

  /**
   * A proxy whose methods call the service over the default client.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface; the
   *     message names the method at fault
   */
  public static <T> T create(Class<T> service) {
    return RpcClient.defaultClient().proxy(service);
  }
}
