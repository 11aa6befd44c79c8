package dev.rabbitrpc.benchmarks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The service of the streaming scenario ({@link Streaming}): the same items as one stream or one
 * unary call each. {@link Impl} is thread-safe; it hands out one shared {@link Payload} per size, so
 * that the figures measure moving items, not making them.
 */
public interface StreamService {
  /** {@code count} payloads of {@code size} bytes, as one stream (items, then the end). */
  Stream<Payload> items(int count, int size);

  /** Item {@code index} of such a stream, fetched by a unary call. */
  Payload item(int index, int size);

  /** The implementation the harness exports. */
  final class Impl implements StreamService {
    private final Map<Integer, Payload> payloads = new ConcurrentHashMap<>();

    @Override
    public Stream<Payload> items(int count, int size) {
      Payload payload = payloads.computeIfAbsent(size, Payload::ofSize);
      return Stream.generate(() -> payload).limit(count);
    }

    @Override
    public Payload item(int index, int size) {
      return payloads.computeIfAbsent(size, Payload::ofSize);
    }
  }
}
