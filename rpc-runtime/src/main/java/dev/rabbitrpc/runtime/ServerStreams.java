package dev.rabbitrpc.runtime;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A server's streams in progress, by the correlation id of their request, and where their callers
 * steer them: the server's control queue (the exclusive queue that also takes cancel notices,
 * {@link ServerQueues#listenForCancels}), named as {@code reply_to} on every item. A control message
 * (credit, or a cancel) reaches its stream only with the request's cancel key.
 *
 * <p>Thread-safe: streams are added and removed by workers, steered from the control consumer's thread.
 */
final class ServerStreams {
  private final Map<String, StreamOut> running = new ConcurrentHashMap<>();
  /** The control queue's name; a new one after the server recovers its connection. */
  private volatile String control;

  void control(String queue) {
    this.control = queue;
  }

  /** Where the callers of this server's streams send credit and cancels; null before the server started. */
  String control() {
    return control;
  }

  /** Registers a stream under its request's correlation id for as long as it runs. */
  void add(String correlationId, StreamOut stream) {
    running.put(correlationId, stream);
  }

  void remove(String correlationId, StreamOut stream) {
    running.remove(correlationId, stream);
  }

  int running() {
    return running.size();
  }

  /** A control message for a stream (credit or cancel); ignored for a stream not running here or without its key. */
  void onControl(String correlationId, Map<String, Object> headers) {
    StreamOut stream = correlationId == null ? null : running.get(correlationId);
    if (stream == null || stream.key != null && !Objects.equals(String.valueOf(stream.key),
        String.valueOf(WireHeaders.cancelKeyOf(headers)))) {
      return;
    }
    long credit = WireHeaders.streamCreditOf(headers);
    if (credit < 0) {
      stream.cancel();
    } else if (credit > 0) {
      stream.grant(credit);
    }
  }
}
