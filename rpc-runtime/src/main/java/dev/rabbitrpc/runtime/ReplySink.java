package dev.rabbitrpc.runtime;

import java.util.Map;

/**
 * Where the {@link Dispatcher} sends what it answers to one request: the one reply (called exactly
 * once, maybe on another thread), or, for a streaming call, its items and then the reply that ends
 * the stream. {@link ServerReply} is the AMQP one; tests record what they get.
 *
 * <p>Implementations say their own threading; the dispatcher calls a sink from the worker that runs
 * the request or from whatever thread completes an async handler's future (a publisher's items:
 * the thread it signals on), one call at a time.
 */
interface ReplySink {
  void reply(String status, byte[] body);

  /**
   * A reply with application headers the server's interceptors set ({@link ServerCall#withReplyHeader}):
   * as {@link #reply(String, byte[])}, and a sink that can puts them on the wire. Never called
   * with an empty map: a reply without them goes to {@link #reply(String, byte[])}.
   */
  default void reply(String status, byte[] body, Map<String, String> replyHeaders) {
    reply(status, body);
  }

  /**
   * A reply stored for an earlier attempt of the same call and sent again ({@code rpc-replayed}:
   * docs/PROTOCOL.md, "Replayed replies"), bit for bit, with the application headers it had.
   */
  default void replayed(String status, byte[] body, Map<String, String> replyHeaders) {
    reply(status, body, replyHeaders);
  }

  /**
   * The reply to a request not run because its deadline had passed {@code expiredMillis} before
   * its turn came: as {@link #reply}, and a sink that can says so on the wire ({@code rpc-expired-ms}).
   */
  default void replyExpired(String status, byte[] body, long expiredMillis) {
    reply(status, body);
  }

  /**
   * False for a request without {@code reply_to}: only a {@code @OneWay} method may run then,
   * and its outcome goes to {@link #reply} to be settled, not sent.
   */
  default boolean expectsReply() {
    return true;
  }

  /**
   * The request is a streaming call: its final reply ends the stream ({@code rpc-stream-end}, with
   * the count of items published through {@link #item}).
   */
  default void startStream() {
    throw new UnsupportedOperationException("this sink cannot stream");
  }

  /**
   * Publishes item {@code seq} of a streaming reply (not a reply: its request stays held).
   *
   * @throws java.io.IOException if it could not be published (the channel is gone)
   */
  default void item(long seq, byte[] body) throws java.io.IOException {
    throw new UnsupportedOperationException("this sink cannot stream");
  }

  /** Drops a request that can be neither answered nor run (no reply_to, and not a valid one-way request). */
  default void reject(String why) {
    throw new IllegalStateException("a request that expects a reply is answered, not rejected: " + why);
  }
}
