package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.HashMap;
import java.util.Map;

/**
 * The AMQP properties and headers of wire protocol v1 (docs/PROTOCOL.md, "Headers"), built and
 * read here and nowhere else: a request's ({@link #request}, {@link #oneWayRequest}), a reply's
 * ({@link #reply}), a cancel notice's ({@link #cancelNotice}), and what each side reads from what
 * arrives ({@link #checkRequest}, {@link #deadlineOf}, {@link #replyVersionError}, {@link #statusOf},
 * {@link #expiredMillisOf}). Application headers (an interceptor's, e.g. trace context) travel
 * beside the protocol's, which always win ({@link ApplicationHeaders}). {@link WireBody} is the
 * body's home.
 *
 * <p>Stateless and thread-safe.
 */
final class WireHeaders {
  static final String PROTOCOL = "rpc-protocol";
  static final String DEADLINE = "rpc-deadline";
  static final String STATUS = "rpc-status";
  /** On a DEADLINE_EXCEEDED reply: the request was not run, its deadline had passed this many ms before. */
  static final String EXPIRED = "rpc-expired-ms";
  /** On a cancel notice: the correlation id of the call given up. */
  static final String CANCEL = "rpc-cancel";
  /** On a request and its cancel notice: only a notice with the request's key cancels it. */
  static final String CANCEL_KEY = "rpc-cancel-key";
  /**
   * On a request: the notices its caller reads besides the reply ({@code taken}); a server sends a
   * notice only to a caller that asked for it (docs/PROTOCOL.md, "Closing a server").
   */
  static final String NOTICES = "rpc-notices";
  /** On a notice (not a reply): what it tells, {@code taken}. */
  static final String NOTICE = "rpc-notice";
  static final String NOTICE_TAKEN = "taken";
  /**
   * On a {@code taken} notice: for how many ms from now the server that took the request may still
   * answer it (what is left of its shutdown grace). Relative, so that no clock skew between the two
   * machines moves it.
   */
  static final String GRACE = "rpc-grace-ms";
  /** On a stream item (docs/PROTOCOL.md, "Streaming replies"): its place in the stream, from 0. */
  static final String STREAM_SEQ = "rpc-stream-seq";
  /** On the reply that ends a stream (OK or an error): how many items the server sent before it. */
  static final String STREAM_END = "rpc-stream-end";
  /** On a streaming request: how many items the server may send before the caller grants more. */
  static final String STREAM_WINDOW = "rpc-stream-window";
  /** On a streaming request: the longest the stream may go without progress, in ms. */
  static final String STREAM_IDLE = "rpc-stream-idle-ms";
  /** On a control message to a stream's server: this many more items may be sent. */
  static final String STREAM_CREDIT = "rpc-stream-credit";
  /** On a control message to a stream's server: the caller gave the stream up (any value). */
  static final String STREAM_CANCEL = "rpc-stream-cancel";
  static final int PROTOCOL_VERSION = 1;
  static final String STATUS_OK = "OK";
  /** A request header: the key every attempt of one {@code @Deduplicated} call carries (docs/PROTOCOL.md, "Replayed replies"). */
  static final String CALL_KEY = "rpc-call-key";
  /** A reply header: {@code true} on a reply the server stored for an earlier attempt of the call and sends again. */
  static final String REPLAYED = "rpc-replayed";

  /** Shared by every successful reply without application headers (the common case): no map per reply. */
  private static final Map<String, Object> OK_HEADERS = Map.of(PROTOCOL, PROTOCOL_VERSION, STATUS, STATUS_OK);

  private WireHeaders() {}

  // ---- requests (client side)

  /**
   * A request that waits for its reply.
   *
   * @param format the body's format; {@link WireFormat#PLAIN} sends no content type, which is what makes a request plain
   * @param expirationMillis the per-message TTL ({@code expiration}): RabbitMQ drops a request still
   *     queued at its deadline; -1 for none (a broker that is not RabbitMQ)
   */
  static AMQP.BasicProperties request(WireFormat format, String correlationId, String replyTo, Deadline deadline,
      long expirationMillis, Map<String, String> applicationHeaders) {
    return request(format, correlationId, replyTo, deadline, expirationMillis, applicationHeaders, 0, 0, null);
  }

  /**
   * A request, of a streaming method if {@code streamWindow} > 0: then with {@code rpc-stream-window}
   * and {@code rpc-stream-idle-ms}; of a {@code @Deduplicated} method if {@code callKey} is not null:
   * then with {@code rpc-call-key}.
   */
  static AMQP.BasicProperties request(WireFormat format, String correlationId, String replyTo, Deadline deadline,
      long expirationMillis, Map<String, String> applicationHeaders, int streamWindow, long idleMillis,
      String callKey) {
    Map<String, Object> protocol = streamWindow <= 0
        ? Map.of(PROTOCOL, PROTOCOL_VERSION, DEADLINE, deadline.toEpochMillis(),
            CANCEL_KEY, CancelKeys.keyFor(correlationId), NOTICES, NOTICE_TAKEN)
        : Map.of(PROTOCOL, PROTOCOL_VERSION, DEADLINE, deadline.toEpochMillis(),
            CANCEL_KEY, CancelKeys.keyFor(correlationId), NOTICES, NOTICE_TAKEN,
            STREAM_WINDOW, streamWindow, STREAM_IDLE, Math.max(1, idleMillis));
    if (callKey != null) {
      protocol = new java.util.HashMap<>(protocol);
      protocol.put(CALL_KEY, callKey);
    }
    return new AMQP.BasicProperties.Builder()
        .contentType(format.contentType)
        .correlationId(correlationId)
        .replyTo(replyTo)
        .headers(withApplication(protocol, applicationHeaders))
        .expiration(expiration(expirationMillis))
        .build();
  }

  /**
   * A control message to the server of a stream, at the address its items came from ({@code
   * reply_to}): {@code credit} more items may be sent, or (credit &lt; 0) the stream is cancelled.
   * Carries the request's cancel key, so that nobody else can steer the stream.
   */
  static AMQP.BasicProperties streamControl(String correlationId, String key, int credit) {
    return new AMQP.BasicProperties.Builder()
        .correlationId(correlationId)
        .headers(credit < 0
            ? Map.of(PROTOCOL, PROTOCOL_VERSION, CANCEL_KEY, key, STREAM_CANCEL, true)
            : Map.of(PROTOCOL, PROTOCOL_VERSION, CANCEL_KEY, key, STREAM_CREDIT, credit))
        .build();
  }

  /**
   * A {@code @OneWay} request: no {@code reply_to}, no cancel key; always JSON, whatever the
   * client's encoding, since no reply could tell that the server does not read CBOR.
   *
   * @param correlationId for logs only: no reply will carry it back
   */
  static AMQP.BasicProperties oneWayRequest(String correlationId, Deadline deadline, long expirationMillis,
      Map<String, String> applicationHeaders) {
    return new AMQP.BasicProperties.Builder()
        .contentType(WireFormat.JSON.contentType)
        .correlationId(correlationId)
        .headers(withApplication(Map.of(PROTOCOL, PROTOCOL_VERSION, DEADLINE, deadline.toEpochMillis()),
            applicationHeaders))
        .expiration(expiration(expirationMillis))
        .build();
  }

  /** The notice that tells the servers of a queue that the caller gave up on a call (docs/PROTOCOL.md §7). */
  static AMQP.BasicProperties cancelNotice(String correlationId, String key, long expirationMillis) {
    return new AMQP.BasicProperties.Builder()
        .headers(Map.of(CANCEL, correlationId, CANCEL_KEY, key))
        .expiration(expiration(expirationMillis))
        .build();
  }

  private static String expiration(long millis) {
    return millis < 0 ? null : Long.toString(millis);
  }

  // ---- requests (server side)

  /**
   * Refuses a request in a version this server cannot read (a request without {@code rpc-protocol},
   * the tutorial's, is taken as version 1) or with a deadline that is not a positive integer.
   *
   * @param headers the request's headers, may be null
   * @throws RpcException {@code PROTOCOL}
   */
  static void checkRequest(Map<String, Object> headers) {
    Object version = headers == null ? null : headers.get(PROTOCOL);
    if (!isReadableVersion(version)) {
      throw new RpcException(Code.PROTOCOL, "unsupported " + PROTOCOL + " " + version
          + "; this server speaks version " + PROTOCOL_VERSION);
    }
    Object deadline = headers == null ? null : headers.get(DEADLINE);
    if (deadline != null && deadlineOf(headers) == 0) {
      throw new RpcException(Code.PROTOCOL, DEADLINE + " must be a positive integer (epoch milliseconds), got "
          + deadline);
    }
  }

  /** The caller's absolute deadline in epoch ms; 0 if the request has none, or none this side can read. */
  static long deadlineOf(Map<String, Object> headers) {
    Object deadline = headers == null ? null : headers.get(DEADLINE);
    if (deadline instanceof Number && isIntegral((Number) deadline) && ((Number) deadline).longValue() > 0) {
      return ((Number) deadline).longValue();
    }
    return 0;
  }

  /** A request's or a notice's {@code rpc-cancel-key} as it arrived (any type), or null. */
  static Object cancelKeyOf(Map<String, Object> headers) {
    return headers == null ? null : headers.get(CANCEL_KEY);
  }

  /**
   * A request's {@code rpc-call-key}, or null if it has none.
   *
   * @throws RpcException {@code PROTOCOL} for a key that is not a non-empty string of at most
   *     {@value Deduplication#MAX_KEY_CHARS} characters
   */
  static String callKeyOf(Map<String, Object> headers) {
    Object key = headers == null ? null : headers.get(CALL_KEY);
    if (key == null) {
      return null;
    }
    String text = key instanceof String || key instanceof com.rabbitmq.client.LongString ? key.toString() : null;
    if (text == null || text.isEmpty() || text.length() > Deduplication.MAX_KEY_CHARS) {
      throw new RpcException(Code.PROTOCOL, CALL_KEY + " must be a string of 1 to " + Deduplication.MAX_KEY_CHARS
          + " characters, got " + (text == null ? key.getClass().getSimpleName() : text.length() + " characters"));
    }
    return text;
  }

  /** A notice's {@code rpc-cancel} as it arrived (any type), or null. */
  static Object cancelledIdOf(Map<String, Object> headers) {
    return headers == null ? null : headers.get(CANCEL);
  }

  /** Whether a request's caller reads {@code taken} notices ({@code rpc-notices} names it). */
  static boolean wantsTakenNotice(Map<String, Object> headers) {
    Object notices = headers == null ? null : headers.get(NOTICES);
    if (notices == null) {
      return false;
    }
    for (String notice : notices.toString().split(",")) {
      if (notice.trim().equals(NOTICE_TAKEN)) {
        return true;
      }
    }
    return false;
  }

  // ---- replies (server side)

  /**
   * The notice a closing server sends for each request it holds (running, or delivered and about to
   * run): it has the request and may answer it for {@code graceMillis} more, the rest of its
   * shutdown grace. Not a reply: no status, no body.
   */
  static AMQP.BasicProperties takenNotice(String correlationId, long graceMillis) {
    return new AMQP.BasicProperties.Builder()
        .correlationId(correlationId)
        .headers(Map.of(PROTOCOL, PROTOCOL_VERSION, NOTICE, NOTICE_TAKEN, GRACE, graceMillis))
        .build();
  }

  /**
   * A reply: in the request's content type, to its correlation id, with {@code rpc-protocol},
   * {@code rpc-status}, {@code rpc-expired-ms} for a request skipped as expired, and any
   * application headers beside them.
   *
   * @param expiredMillis for a request skipped as expired, by how much; else -1
   */
  static AMQP.BasicProperties reply(String contentType, String correlationId, String status, long expiredMillis,
      Map<String, String> applicationHeaders) {
    return reply(contentType, correlationId, status, expiredMillis, applicationHeaders, -1);
  }

  /** As above, for the reply that ends a stream if {@code streamItems} ≥ 0: with {@code rpc-stream-end}. */
  static AMQP.BasicProperties reply(String contentType, String correlationId, String status, long expiredMillis,
      Map<String, String> applicationHeaders, long streamItems) {
    Map<String, Object> protocol = streamItems >= 0
        ? Map.of(PROTOCOL, PROTOCOL_VERSION, STATUS, status, STREAM_END, streamItems)
        : status.equals(STATUS_OK) ? OK_HEADERS
        : expiredMillis >= 0 ? Map.of(PROTOCOL, PROTOCOL_VERSION, STATUS, status, EXPIRED, expiredMillis)
        : Map.of(PROTOCOL, PROTOCOL_VERSION, STATUS, status);
    return new AMQP.BasicProperties.Builder()
        .contentType(contentType)
        .correlationId(correlationId)
        .headers(withApplication(protocol, applicationHeaders))
        .build();
  }

  /** A reply stored for an earlier attempt of the call and sent again: with {@code rpc-replayed: true}. */
  static AMQP.BasicProperties replayed(String contentType, String correlationId, String status,
      Map<String, String> applicationHeaders) {
    return new AMQP.BasicProperties.Builder()
        .contentType(contentType)
        .correlationId(correlationId)
        .headers(withApplication(Map.of(PROTOCOL, PROTOCOL_VERSION, STATUS, status, REPLAYED, true), applicationHeaders))
        .build();
  }

  /** Whether a reply is one the server stored for an earlier attempt and sent again ({@code rpc-replayed}). */
  static boolean isReplayed(Map<String, Object> headers) {
    return headers != null && Boolean.TRUE.equals(headers.get(REPLAYED));
  }

  /**
   * One item of a stream: in the request's content type, to its correlation id, with its {@code
   * rpc-stream-seq}; {@code reply_to} names where the caller sends credit and cancels ({@code control}).
   */
  static AMQP.BasicProperties streamItem(String contentType, String correlationId, String control, long seq) {
    return new AMQP.BasicProperties.Builder()
        .contentType(contentType)
        .correlationId(correlationId)
        .replyTo(control)
        .headers(Map.of(PROTOCOL, PROTOCOL_VERSION, STREAM_SEQ, seq))
        .build();
  }

  // ---- replies (client side)

  /** Why a reply cannot be read at all ({@code PROTOCOL}: a version this client does not speak), or null. */
  static RpcException replyVersionError(Map<String, Object> headers) {
    Object version = headers == null ? null : headers.get(PROTOCOL);
    if (isReadableVersion(version)) {
      return null;
    }
    return new RpcException(Code.PROTOCOL, "the reply has " + PROTOCOL + " " + version
        + "; this client speaks version " + PROTOCOL_VERSION);
  }

  /** A notice's {@code rpc-notice} (a message to {@code reply_to} that is not the reply), or null for a reply. */
  static String noticeOf(Map<String, Object> headers) {
    Object notice = headers == null ? null : headers.get(NOTICE);
    return notice == null ? null : notice.toString();
  }

  /** A {@code taken} notice's {@code rpc-grace-ms}, or -1 if it has none that can be read. */
  static long graceMillisOf(Map<String, Object> headers) {
    Object value = headers == null ? null : headers.get(GRACE);
    if (value instanceof Number && isIntegral((Number) value) && ((Number) value).longValue() >= 0) {
      return ((Number) value).longValue();
    }
    return -1;
  }

  /** A reply's {@code rpc-status}, or null (a plain-text reply has none). */
  static String statusOf(Map<String, Object> headers) {
    Object status = headers == null ? null : headers.get(STATUS);
    return status == null ? null : status.toString();
  }

  /**
   * A reply's {@code rpc-expired-ms}: a whole number of milliseconds ≥ 0 of any integer type (or a
   * double with a whole value), else -1 (absent, or unreadable: then it says nothing).
   */
  static long expiredMillisOf(Map<String, Object> headers) {
    Object value = headers == null ? null : headers.get(EXPIRED);
    if (value instanceof Number && isIntegral((Number) value) && ((Number) value).longValue() >= 0) {
      return ((Number) value).longValue();
    }
    return -1;
  }

  /** A stream item's {@code rpc-stream-seq}, or -1 for a message that is not one. */
  static long streamSeqOf(Map<String, Object> headers) {
    return headers == null ? -1 : wholeAtLeastZero(headers.get(STREAM_SEQ));
  }

  /** The item count on the reply that ends a stream, or -1 if it has none. */
  static long streamEndOf(Map<String, Object> headers) {
    return headers == null ? -1 : wholeAtLeastZero(headers.get(STREAM_END));
  }

  /** A streaming request's window ({@code rpc-stream-window}), or 0 if it has none that can be read. */
  static int streamWindowOf(Map<String, Object> headers) {
    long window = headers == null ? -1 : wholeAtLeastZero(headers.get(STREAM_WINDOW));
    return window <= 0 ? 0 : (int) Math.min(window, Integer.MAX_VALUE);
  }

  /** A streaming request's {@code rpc-stream-idle-ms}, or 0 if it has none. */
  static long streamIdleOf(Map<String, Object> headers) {
    return Math.max(0, headers == null ? 0 : wholeAtLeastZero(headers.get(STREAM_IDLE)));
  }

  /** A control message's credit; -1 for a cancel; 0 if it says neither. */
  static long streamCreditOf(Map<String, Object> headers) {
    if (headers == null) {
      return 0;
    }
    if (headers.containsKey(STREAM_CANCEL)) {
      return -1;
    }
    return Math.max(0, wholeAtLeastZero(headers.get(STREAM_CREDIT)));
  }

  /** Whether a message to a server's control queue is a stream's (credit or cancel), not a cancel notice. */
  static boolean isStreamControl(Map<String, Object> headers) {
    return headers != null && (headers.containsKey(STREAM_CREDIT) || headers.containsKey(STREAM_CANCEL));
  }

  private static long wholeAtLeastZero(Object value) {
    if (value instanceof Number && isIntegral((Number) value) && ((Number) value).longValue() >= 0) {
      return ((Number) value).longValue();
    }
    return -1;
  }

  // ---- shared

  /**
   * Whether a message's {@code rpc-protocol} header is one this side reads: absent (the tutorial's
   * programs send none) or 1.
   */
  static boolean isReadableVersion(Object version) {
    return version == null
        || version instanceof Number && isIntegral((Number) version) && ((Number) version).longValue() == PROTOCOL_VERSION;
  }

  /** Whether a header value is a whole number (AMQP peers may send any integer width, or a whole double). */
  static boolean isIntegral(Number value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return true;
    }
    double d = value.doubleValue();
    return !Double.isInfinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p53;
  }

  /** The protocol's headers, then the application's beside them; the protocol's always win. */
  private static Map<String, Object> withApplication(Map<String, Object> protocol,
      Map<String, String> applicationHeaders) {
    if (applicationHeaders.isEmpty()) {
      return protocol;
    }
    Map<String, Object> all = new HashMap<>(applicationHeaders);
    all.putAll(protocol); // after: a protocol header is never an application's to set
    return all;
  }
}
