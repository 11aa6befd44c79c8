package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbitrpc.api.RpcException;

/**
 * The parts of an {@link AsyncApi} document that are the protocol's, the same for every service:
 * the schemas of the messages' properties and headers (docs/PROTOCOL.md §2, §3; names from
 * {@link WireHeaders}) and of the error body (§4), and the words that describe one method.
 *
 * <p>AsyncAPI has one place for what AMQP splits into properties and a header table, the message's
 * {@code headers}; so the schemas list the properties {@code correlation_id} and {@code reply_to}
 * (which the document's runtime expressions {@code $message.header#/…} name) beside the
 * {@code rpc-*} headers, each saying which it is. Other headers are application headers: string
 * values a peer carries unchanged.
 *
 * <p>Stateless.
 */
final class AsyncApiHeaders {
  static final String REQUEST = "rabbit-rpc.RequestHeaders";
  static final String STREAM_REQUEST = "rabbit-rpc.StreamRequestHeaders";
  static final String ONE_WAY = "rabbit-rpc.OneWayRequestHeaders";
  static final String REPLY = "rabbit-rpc.ReplyHeaders";
  static final String ITEM = "rabbit-rpc.StreamItemHeaders";
  static final String END = "rabbit-rpc.StreamEndHeaders";
  static final String ERROR_REPLY = "rabbit-rpc.ErrorHeaders";
  /** The body of an error reply. */
  static final String ERROR = "rabbit-rpc.Error";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String CORRELATION_ID = "correlation_id";
  private static final String REPLY_TO = "reply_to";

  private AsyncApiHeaders() {}

  /** Adds the protocol's schemas to {@code schemas}, the document's {@code components.schemas}. */
  static void define(ObjectNode schemas) {
    ObjectNode request = headers(schemas, REQUEST, "A request's properties and headers.");
    property(request, CORRELATION_ID, "an id unique among the caller's calls in flight", true);
    property(request, REPLY_TO, "where the reply goes", true);
    requestHeaders(request);

    ObjectNode stream = headers(schemas, STREAM_REQUEST, "A streaming method's request: a request with a window.");
    property(stream, CORRELATION_ID, "an id unique among the caller's calls in flight", true);
    property(stream, REPLY_TO, "where the items and the end go", true);
    requestHeaders(stream);
    integer(stream, WireHeaders.STREAM_WINDOW, 1, "how many items the server may send before the caller grants more", true);
    integer(stream, WireHeaders.STREAM_IDLE, 1, "the longest the stream may go without progress, in ms", false);

    ObjectNode oneWay = headers(schemas, ONE_WAY, "A one-way request: no `reply_to`, nothing is answered.");
    property(oneWay, CORRELATION_ID, "for logs only", false);
    protocol(oneWay);
    integer(oneWay, WireHeaders.DEADLINE, 1, "the caller's absolute deadline, in ms since the Unix epoch", false);

    ObjectNode reply = answer(schemas, REPLY, "A successful reply.");
    status(reply, "the outcome", NODES.arrayNode().add("OK"));
    field(reply, WireHeaders.REPLAYED, "true: the reply kept for an earlier attempt of the call (same `rpc-call-key`),"
        + " sent again; nothing ran", false).put("type", "boolean");

    ObjectNode item = answer(schemas, ITEM, "A stream item: never the reply (no `rpc-status`).");
    property(item, REPLY_TO, "the server's control address, for the caller's credit and cancel messages", true);
    integer(item, WireHeaders.STREAM_SEQ, 0, "the item's place in the stream, from 0", true);

    ObjectNode end = answer(schemas, END, "The reply that ends a stream complete.");
    status(end, "the outcome", NODES.arrayNode().add("OK"));
    integer(end, WireHeaders.STREAM_END, 0, "how many items the server sent before this reply", true);

    ObjectNode error = answer(schemas, ERROR_REPLY, "An error reply.");
    status(error, "the error's code, as `error.code`", errorCodes());
    integer(error, WireHeaders.EXPIRED, 0, "on `DEADLINE_EXCEEDED` only: the request was not run, its deadline had passed"
        + " this many ms before the server took it", false);
    integer(error, WireHeaders.STREAM_END, 0, "on the error that ends a stream: how many items the server sent before it", false);
    field(error, WireHeaders.REPLAYED, "true: the reply kept for an earlier attempt of the call (a declared exception),"
        + " sent again; nothing ran", false).put("type", "boolean");

    ObjectNode body = schemas.putObject(ERROR).put("type", "object")
        .put("description", "An error reply's body (docs/PROTOCOL.md §4). Unknown fields are ignored.");
    body.putArray("required").add("error");
    ObjectNode inner = body.putObject("properties").putObject("error").put("type", "object");
    inner.putArray("required").add("code").add("message");
    ObjectNode fields = inner.putObject("properties");
    fields.putObject("code").put("type", "string").set("enum", errorCodes());
    fields.putObject("type").put("type", "string").put("description", "on APPLICATION_ERROR: the class of the exception"
        + " the server's method threw, as the server's language names it (data, never a class to load)");
    fields.putObject("message").put("type", "string").put("description", "for logs and people, never a stack trace");
  }

  /** What an operation's description says of {@code method}: how it is called and answered. */
  static String describe(ServiceContract.Method method) {
    StringBuilder text = new StringBuilder("The method `").append(method.wireName()).append('`');
    if (!method.javaName().equals(method.wireName())) {
      text.append(" (Java `").append(method.javaName()).append("`)");
    }
    text.append(method.oneWay() ? ", one-way: sent without `reply_to`, never answered."
        : method.streaming() ? ", streaming: answered by items, each its own message, then an end (or an error reply),"
            + " with flow control by credit (docs/PROTOCOL.md, Streaming replies); idle timeout " + method.idleMillis() + " ms."
        : ": answered by one reply, the result or an error.");
    text.append(" Timeout ").append(method.timeoutMillis()).append(" ms.");
    if (method.idempotent()) {
      text.append(" Idempotent: retried after `UNAVAILABLE`, run again when redelivered.");
    }
    if (method.deduplicated()) {
      text.append(" Deduplicated: runs at most once per `rpc-call-key`")
          .append(method.callKey() == null ? "" : " (the parameter `" + method.callKey() + "`)")
          .append("; a repeated request gets the kept reply, with `rpc-replayed`, for ").append(method.retentionMillis())
          .append(" ms.");
    }
    if (method.shardKey() != null) {
      text.append(" Shard key: the parameter `").append(method.shardKey()).append("`.");
    }
    if (!method.exceptions().isEmpty()) {
      text.append(" Declares ").append(String.join(", ", method.exceptions()))
          .append(": an `APPLICATION_ERROR` reply whose `error.type` names one is rethrown as it by a Java caller.");
    }
    if (method.plainText()) {
      text.append(" Called in plain text (docs/PROTOCOL.md §9): the argument as the body, no content type.");
    }
    return text.toString();
  }

  /** The codes an error reply may carry, as its {@code rpc-status} and {@code error.code}: every one (a server's interceptors may send any). */
  static ArrayNode errorCodes() {
    ArrayNode codes = NODES.arrayNode();
    for (RpcException.Code code : RpcException.Code.values()) {
      codes.add(code.name());
    }
    return codes;
  }

  private static ObjectNode headers(ObjectNode schemas, String name, String description) {
    ObjectNode headers = schemas.putObject(name).put("type", "object").put("description", description
        + " AsyncAPI's `headers` hold both the AMQP properties named here and the `rpc-*` headers; other headers are"
        + " application headers, string values carried unchanged (docs/PROTOCOL.md §3).");
    headers.putObject("properties");
    headers.putObject("additionalProperties").put("type", "string");
    return headers;
  }

  /** The headers of a message a server sends for a request: its {@code correlation_id}, the protocol version. */
  private static ObjectNode answer(ObjectNode schemas, String name, String description) {
    ObjectNode headers = headers(schemas, name, description);
    property(headers, CORRELATION_ID, "the request's", true);
    protocol(headers);
    return headers;
  }

  private static void requestHeaders(ObjectNode headers) {
    protocol(headers);
    integer(headers, WireHeaders.DEADLINE, 1, "the caller's absolute deadline, in ms since the Unix epoch", false);
    ObjectNode key = field(headers, WireHeaders.CANCEL_KEY, "the call's cancel key (docs/PROTOCOL.md §7)", false);
    key.put("type", "string").put("pattern", "^[0-9a-f]{32}$");
    field(headers, WireHeaders.NOTICES, "the notices the caller reads besides the reply, comma-separated: `taken`", false)
        .put("type", "string");
    field(headers, WireHeaders.CALL_KEY, "the call's key, the same on every attempt of one call: a deduplicated method"
        + " runs at most once per key (docs/PROTOCOL.md, Replayed replies)", false)
        .put("type", "string").put("minLength", 1).put("maxLength", Deduplication.MAX_KEY_CHARS);
  }

  private static void property(ObjectNode headers, String name, String description, boolean required) {
    field(headers, name, "The AMQP property `" + name + "`: " + description + ".", required).put("type", "string");
  }

  private static void protocol(ObjectNode headers) {
    field(headers, WireHeaders.PROTOCOL, "the protocol version; absent means 1", false).put("type", "integer")
        .put("const", WireHeaders.PROTOCOL_VERSION);
  }

  private static void status(ObjectNode headers, String description, ArrayNode values) {
    field(headers, WireHeaders.STATUS, description, true).put("type", "string").set("enum", values);
  }

  private static void integer(ObjectNode headers, String name, int minimum, String description, boolean required) {
    field(headers, name, description, required).put("type", "integer").put("minimum", minimum);
  }

  private static ObjectNode field(ObjectNode headers, String name, String description, boolean required) {
    if (required) {
      (headers.has("required") ? (ArrayNode) headers.get("required") : headers.putArray("required")).add(name);
    }
    ObjectNode field = ((ObjectNode) headers.get("properties")).putObject(name);
    return field.put("description", description.startsWith("The AMQP") ? description : "The header `" + name + "`: "
        + description + ".");
  }
}
