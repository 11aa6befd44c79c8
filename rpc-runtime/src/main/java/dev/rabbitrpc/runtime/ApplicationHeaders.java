package dev.rabbitrpc.runtime;

import com.rabbitmq.client.LongString;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The application's headers on a request or a reply (docs/PROTOCOL.md, "Headers"): AMQP headers
 * whose names do not start with {@value #RESERVED_PREFIX}, with string values. Interceptors set
 * them on requests on the client ({@link ClientCall#withHeader}) and read them on the server
 * ({@link ServerCall#headers()}); on replies, the server's set them ({@link ServerCall#withReplyHeader})
 * and the client's read them ({@link ClientCall#replyHeaders()}).
 */
final class ApplicationHeaders {
  /** Names the protocol keeps for itself. */
  static final String RESERVED_PREFIX = "rpc-";
  /** An AMQP field name is a short string. */
  static final int MAX_NAME_BYTES = 128;

  private ApplicationHeaders() {}

  static void check(String name, String value) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a header name must not be empty");
    }
    if (name.toLowerCase(Locale.ROOT).startsWith(RESERVED_PREFIX)) {
      throw new IllegalArgumentException("header names starting with \"" + RESERVED_PREFIX
          + "\" belong to the protocol: " + name);
    }
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException("a header name has at most " + MAX_NAME_BYTES + " bytes: " + name);
    }
    if (value == null) {
      throw new IllegalArgumentException("header " + name + " has no value");
    }
  }

  /**
   * {@code headers} with {@code name} set to {@code value}, checked as {@link #check} does: a new
   * read-only map, for the immutable call values ({@link ClientCall#withHeader}, {@link ServerCall#withReplyHeader}).
   */
  static Map<String, String> with(Map<String, String> headers, String name, String value) {
    check(name, value);
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return Collections.unmodifiableMap(more);
  }

  /** The application headers of a request or reply as it arrived: string values only, protocol headers left out. */
  static Map<String, String> of(Map<String, Object> amqpHeaders) {
    if (amqpHeaders == null || amqpHeaders.isEmpty()) {
      return Map.of();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, Object> header : amqpHeaders.entrySet()) {
      Object value = header.getValue();
      if (!header.getKey().toLowerCase(Locale.ROOT).startsWith(RESERVED_PREFIX)
          && (value instanceof String || value instanceof LongString)) {
        headers.put(header.getKey(), value.toString());
      }
    }
    return headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(headers);
  }
}
