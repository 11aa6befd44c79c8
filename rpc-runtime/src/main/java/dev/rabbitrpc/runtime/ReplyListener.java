package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What a reply channel ({@link CallChannel}) and the connection ({@link AmqpTransport}) report about
 * the calls that wait for replies, by correlation id: the narrow view they have of the
 * {@link ReplyRouter}, so that the transport depends on this interface and not the router (no cycle).
 *
 * <p>Called on amqp-client's threads (a channel's consumer thread, its shutdown and return
 * listeners, the connection's shutdown listener); implementations must be thread-safe and must not block.
 */
interface ReplyListener {
  /**
   * A reply (status, body and headers as they came); {@code expiredMillis} is its
   * {@code rpc-expired-ms}, -1 if absent; {@code headers} may be null.
   */
  void onReply(String correlationId, String contentType, String status, byte[] body, long expiredMillis,
      Map<String, Object> headers);

  /**
   * One item of a streaming call ({@code rpc-stream-seq} {@code seq}), with the address its server
   * takes credit at ({@code reply_to}, may be null).
   */
  void onStreamItem(String correlationId, String contentType, long seq, String controlAddress, byte[] body);

  /** A closing server took the request and may answer it for {@code graceMillis} more (-1: not said). */
  void taken(String correlationId, long graceMillis);

  /** Fails one call by id, if it still waits; returns whether one did. */
  boolean fail(String correlationId, RpcException failure);

  /**
   * The broker closed {@code channel}: every call sent on it fails with what {@code failure} makes of
   * its method's key and whether its correlation id is {@code culpritId} (the request the broker refused).
   */
  void channelLost(Object channel, String culpritId, BiFunction<String, Boolean, RpcException> failure);

  /** The connection was lost: every waiting call fails with what {@code failure} makes of its method's key. */
  void connectionLost(Function<String, RpcException> failure);
}
