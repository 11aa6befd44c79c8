package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.List;

/**
 * A service's contract as an <a href="https://www.asyncapi.com/docs/reference/specification/v3.0.0">AsyncAPI 3.0</a>
 * document, for the tools that read AsyncAPI (documentation, code generators, Springwolf-style catalogues):
 *
 * <pre>{@code
 * ObjectNode document = AsyncApi.document(ServiceContract.of(Orders.class));   // or client.describe("orders")
 * new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file, document);
 * }</pre>
 *
 * <p>The document describes the <b>server</b>: each method is an operation whose action is
 * {@code receive} (the server receives the request on its queue) and whose {@code reply} goes to the
 * caller's {@code reply_to}. The contract is what a server answers {@code rpc.describe} with, so the
 * document takes the side of the application the contract belongs to; a client's view is the same
 * document with each action read as {@code send}. Written as docs/PROTOCOL.md defines the wire:
 * <ul>
 *   <li>channel {@code requests}: the service's queue (a sharded service's shard queue
 *       {@code queue.{shard}}, the parameter {@code shard} one of 0 … N-1), with AMQP bindings 0.3.0;
 *       its messages are the requests {@code {"method": wireName, "args": [...]}}, one per method;
 *   <li>channel {@code replies}: address {@code null}, the caller's {@code reply_to} (RabbitMQ's
 *       direct reply-to or a queue of its own), with each method's reply, a streaming method's items
 *       and end, and the error reply;
 *   <li>one operation per method, keyed by its wire name: the reply's address
 *       {@code $message.header#/reply_to}; a one-way method has no reply; the method's contract
 *       (flags, timeout, declared exceptions) in its extension {@code x-rabbit-rpc};
 *   <li>every message's {@code correlationId} is {@code $message.header#/correlation_id}; its
 *       {@code headers} schema lists the AMQP properties {@code correlation_id} and {@code reply_to}
 *       beside the {@code rpc-*} headers, since AsyncAPI has one place for both;
 *   <li>schemas are AsyncAPI Schema Objects (JSON Schema draft 07 and more, the format every AsyncAPI
 *       tool reads): the contract's 2020-12 schemas use no keyword draft 07 lacks but {@code $defs},
 *       whose definitions move to {@code components.schemas}, their {@code $ref}s rewritten. The
 *       arguments are a draft-07 tuple ({@code items} as an array, no {@code additionalItems}).
 * </ul>
 *
 * <p>Stateless and thread-safe: each call builds a new document, which the caller owns.
 */
public final class AsyncApi {
  /** The AsyncAPI version of the documents written here. */
  public static final String VERSION = "3.0.0";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String AMQP_BINDINGS = "0.3.0";
  private static final String ERROR_MESSAGE = "rabbit-rpc.error";
  private static final String CORRELATION = "correlation_id";

  private AsyncApi() {}

  /** The document of {@code contract}, without {@code servers}. */
  public static ObjectNode document(ServiceContract contract) {
    return document(contract, null);
  }

  /**
   * The document of {@code contract}, with the broker {@code broker} as its one server
   * ({@code servers.broker}) if it is not null: its scheme ({@code amqp} or {@code amqps}), host,
   * port and virtual host; never its user name or password.
   *
   * @throws IllegalArgumentException if {@code broker} is neither an {@code amqp:} nor an {@code amqps:} URI with a host
   */
  public static ObjectNode document(ServiceContract contract, URI broker) {
    ObjectNode document = NODES.objectNode().put("asyncapi", VERSION);
    ObjectNode info = document.putObject("info");
    info.put("title", contract.service());
    info.put("version", contract.library() + ", protocol " + contract.protocol());
    info.put("description", "The rabbit-rpc service `" + contract.service() + "` on "
        + (contract.shards() > 1 ? contract.shards() + " shard queues " + String.join(", ", contract.queues())
            : "the queue `" + contract.queue() + "`")
        + ", as its server describes it (`rpc.describe`). Written from the server's side: each operation receives a"
        + " request and replies to its `reply_to`. Request bodies are " + String.join(" or ", contract.encodings())
        + " (the reply has the request's format)"
        + (contract.plainText() ? "; the server also takes the tutorial's plain-text requests (no content type)" : "")
        + ". The wire protocol is rabbit-rpc's docs/PROTOCOL.md, version " + contract.protocol() + ".");
    if (broker != null) {
      document.putObject("servers").set("broker", server(broker));
    }
    document.put("defaultContentType", WireFormat.JSON.contentType);

    ObjectNode components = NODES.objectNode(); // added last, for reading: the channels and operations first
    ObjectNode schemas = components.putObject("schemas");
    AsyncApiHeaders.define(schemas);
    ObjectNode messages = components.putObject("messages");
    components.putObject("correlationIds").putObject(CORRELATION)
        .put("description", "The AMQP property `correlation_id`: the request's, copied unchanged on its reply and stream items.")
        .put("location", "$message.header#/correlation_id");
    AsyncApiSchemas placed = new AsyncApiSchemas(schemas);

    ObjectNode channels = document.putObject("channels");
    ObjectNode requests = channels.putObject("requests");
    ObjectNode replies = channels.putObject("replies");
    requestChannel(requests, contract);
    replies.putNull("address");
    replies.put("description", "The caller's `reply_to`, given with each request: RabbitMQ's direct reply-to"
        + " (`amq.rabbitmq.reply-to`) or a queue of the caller's own. Replies and stream items are published"
        + " through the default exchange with it as the routing key.");
    ObjectNode requestMessages = requests.putObject("messages");
    ObjectNode replyMessages = replies.putObject("messages");
    ObjectNode operations = document.putObject("operations");

    message(messages, ERROR_MESSAGE, AsyncApiHeaders.ERROR_REPLY, ref("#/components/schemas/" + AsyncApiHeaders.ERROR), "An error reply",
        "The reply of a call that failed: `rpc-status` and `error.code` name the code (docs/PROTOCOL.md §6);"
        + " an `APPLICATION_ERROR`'s `error.type` names the exception the server's method threw.");
    boolean errorUsed = false;
    for (ServiceContract.Method method : contract.methods()) {
      String key = AsyncApiSchemas.key(method.wireName());
      for (int i = 2; operations.has(key); i++) { // two wire names that differ only in characters a key cannot hold
        key = AsyncApiSchemas.key(method.wireName()) + "-" + i;
      }
      ObjectNode operation = operations.putObject(key).put("action", "receive");
      operation.set("channel", ref("#/channels/requests"));
      operation.put("title", method.javaName());
      operation.put("description", AsyncApiHeaders.describe(method));
      String request = key + ".request";
      message(messages, request, method.oneWay() ? AsyncApiHeaders.ONE_WAY : method.streaming() ? AsyncApiHeaders.STREAM_REQUEST
          : AsyncApiHeaders.REQUEST, requestPayload(method, placed), "A request for " + method.wireName(), null);
      requestMessages.set(request, ref("#/components/messages/" + request));
      operation.putArray("messages").add(ref("#/channels/requests/messages/" + request));
      operation.putObject("bindings").putObject("amqp").put("ack", true).put("mandatory", true).put("deliveryMode", 1)
          .put("bindingVersion", AMQP_BINDINGS);
      operation.set("x-rabbit-rpc", extension(method));
      if (method.oneWay()) {
        continue;
      }
      ObjectNode reply = operation.putObject("reply");
      reply.putObject("address").put("location", "$message.header#/reply_to")
          .put("description", "The request's `reply_to` (an AMQP property).");
      reply.set("channel", ref("#/channels/replies"));
      ArrayNode replyRefs = reply.putArray("messages");
      JsonNode result = placed.place(method.result());
      if (method.streaming()) {
        String item = key + ".item";
        message(messages, item, AsyncApiHeaders.ITEM, result, "An item of " + method.wireName() + "'s stream",
            "One item, in order (`rpc-stream-seq` from 0); its `reply_to` is the server's control address, where the"
            + " caller sends its credit (`rpc-stream-credit`) and `rpc-stream-cancel` (docs/PROTOCOL.md, Streaming replies).");
        String end = key + ".end";
        message(messages, end, AsyncApiHeaders.END, NODES.objectNode().put("type", "null"), "The end of " + method.wireName()
            + "'s stream", "Ends the stream complete after `rpc-stream-end` items; an error reply with `rpc-stream-end`"
            + " ends it with that error after the items before it.");
        for (String name : List.of(item, end)) {
          replyMessages.set(name, ref("#/components/messages/" + name));
          replyRefs.add(ref("#/channels/replies/messages/" + name));
        }
      } else {
        String name = key + ".reply";
        message(messages, name, AsyncApiHeaders.REPLY, result, "The reply of " + method.wireName(), "The result itself, not wrapped.");
        replyMessages.set(name, ref("#/components/messages/" + name));
        replyRefs.add(ref("#/channels/replies/messages/" + name));
      }
      replyRefs.add(ref("#/channels/replies/messages/" + ERROR_MESSAGE));
      errorUsed = true;
    }
    if (errorUsed) {
      replyMessages.set(ERROR_MESSAGE, ref("#/components/messages/" + ERROR_MESSAGE));
    }
    document.set("components", components);
    return document;
  }

  private static ObjectNode server(URI broker) {
    String scheme = broker.getScheme();
    if (!"amqp".equalsIgnoreCase(scheme) && !"amqps".equalsIgnoreCase(scheme) || broker.getHost() == null) {
      throw new IllegalArgumentException("the broker's URI must be amqp: or amqps: with a host, not "
          + (scheme == null ? "a relative URI" : scheme + ": " + (broker.getHost() == null ? "without a host" : "")));
    }
    ObjectNode server = NODES.objectNode();
    server.put("host", broker.getHost() + (broker.getPort() >= 0 ? ":" + broker.getPort() : ""));
    server.put("protocol", scheme.toLowerCase(java.util.Locale.ROOT)).put("protocolVersion", "0-9-1");
    String path = broker.getRawPath();
    if (path != null && path.length() > 1) {
      server.put("pathname", path);
    }
    return server.put("description", "The RabbitMQ broker (AMQP 0-9-1" + (path != null && path.length() > 1
        ? ", virtual host " + path.substring(1) : "") + ").");
  }

  private static void requestChannel(ObjectNode channel, ServiceContract contract) {
    ObjectNode queue = NODES.objectNode();
    if (contract.shards() > 1) {
      channel.put("address", contract.queue() + ".{shard}");
      ArrayNode shards = channel.putObject("parameters").putObject("shard")
          .put("description", "The shard queue: `crc32(utf8(canonical(key))) mod " + contract.shards() + "` of a method's"
              + " shard key, else the caller's choice (docs/PROTOCOL.md, Sharded services).")
          .putArray("enum");
      for (int i = 0; i < contract.shards(); i++) {
        shards.add(Integer.toString(i));
      }
      channel.put("description", "The service's " + contract.shards() + " shard queues, " + String.join(", ", contract.queues())
          + ": a request goes to one of them, through the default exchange with the queue's name as routing key.");
    } else {
      channel.put("address", contract.queue());
      queue.put("name", contract.queue());
      channel.put("description", "The service's queue: requests are published to it through the default exchange with"
          + " its name as routing key, `mandatory`.");
    }
    // How servers declare it when it does not exist (docs/PROTOCOL.md, Request queues); an operator may pre-declare it otherwise.
    queue.put("durable", true).put("exclusive", false).put("autoDelete", false);
    ObjectNode amqp = channel.putObject("bindings").putObject("amqp").put("is", "queue");
    amqp.set("queue", queue);
    amqp.put("bindingVersion", AMQP_BINDINGS);
  }

  /** {@code {"method": wireName, "args": [...]}}: the arguments a tuple, each with its parameter's name as title. */
  private static ObjectNode requestPayload(ServiceContract.Method method, AsyncApiSchemas placed) {
    ObjectNode payload = NODES.objectNode().put("type", "object");
    ArrayNode required = payload.putArray("required").add("method");
    ObjectNode properties = payload.putObject("properties");
    properties.putObject("method").put("const", method.wireName());
    ObjectNode args = properties.putObject("args").put("type", "array");
    int arity = method.parameters().size();
    if (arity == 0) {
      args.put("maxItems", 0).put("description", "No arguments; may be omitted.");
      return payload;
    }
    required.add("args");
    ArrayNode items = args.putArray("items");
    for (ServiceContract.Parameter parameter : method.parameters()) {
      JsonNode schema = placed.place(parameter.schema());
      ObjectNode item = schema.isObject() && !schema.has("$ref") ? (ObjectNode) schema : NODES.objectNode();
      if (item != schema) {
        item.putArray("allOf").add(schema);
      }
      items.add(item.put("title", parameter.name()));
    }
    args.put("minItems", arity).put("maxItems", arity);
    return payload;
  }

  private static void message(ObjectNode messages, String name, String headers, JsonNode payload, String title,
      String description) {
    ObjectNode message = messages.putObject(name).put("name", name).put("title", title);
    if (description != null) {
      message.put("description", description);
    }
    message.set("headers", ref("#/components/schemas/" + headers));
    message.set("payload", payload);
    message.set("correlationId", ref("#/components/correlationIds/" + CORRELATION));
  }

  private static ObjectNode extension(ServiceContract.Method method) {
    ObjectNode extension = NODES.objectNode().put("wireName", method.wireName()).put("javaName", method.javaName());
    ArrayNode exceptions = extension.putArray("exceptions");
    method.exceptions().forEach(exceptions::add);
    extension.put("oneWay", method.oneWay()).put("idempotent", method.idempotent()).put("plainText", method.plainText())
        .put("timeoutMillis", method.timeoutMillis()).put("shardKey", method.shardKey())
        .put("streaming", method.streaming()).put("idleMillis", method.idleMillis())
        .put("deduplicated", method.deduplicated()).put("callKey", method.callKey())
        .put("retentionMillis", method.retentionMillis());
    return extension;
  }

  private static ObjectNode ref(String pointer) {
    return NODES.objectNode().put("$ref", pointer);
  }
}
