package dev.rabbitrpc.runtime;

/**
 * Connects to {@code amqps://guest:guest@127.0.0.1:<port>} the way a user's client does, in a JVM
 * whose default trust store the parent test chose, and prints how the call failed.
 */
public final class TlsClientMain {
  private TlsClientMain() {}

  interface Ping {
    String ping();
  }

  public static void main(String[] args) {
    // A refused handshake fails the call at once (UNAVAILABLE, naming the broker); the timeout only
    // bounds the wait, and is long so that a cold JVM's first TLS handshake never meets it instead.
    try (RpcClient client = RpcClient.builder().uri("amqps://guest:guest@127.0.0.1:" + args[0])
        .timeout(java.time.Duration.ofSeconds(30)).build()) {
      client.proxy(Ping.class).ping();
      System.out.println("CALLED");
    } catch (RuntimeException e) {
      StringBuilder chain = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        chain.append(t.getClass().getName()).append(": ").append(t.getMessage()).append(" | ");
      }
      System.out.println(chain);
    }
  }
}
