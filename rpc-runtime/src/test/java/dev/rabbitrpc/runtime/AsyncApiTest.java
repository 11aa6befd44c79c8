package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The AsyncAPI document of a contract, without a broker or the AsyncAPI parser (which
 * rpc-integration-tests' {@code AsyncApiParserTest} runs): its channels, operations, replies and
 * correlation ids, and schemas whose references all resolve inside the document.
 */
class AsyncApiTest {
  private static final String REQUESTS = "#/channels/requests";
  private static final String REPLIES = "#/channels/replies";

  @RpcService(queue = "prices")
  interface Prices {
    @Timeout(value = 9_000, idle = 1_000)
    Stream<DescribeTest.Item> watch(String sku) throws DescribeTest.Missing;

    Flow.Publisher<DescribeTest.Node> trees();

    DescribeTest.Item latest(String sku);
  }

  interface Names {
    @RpcMethod("price list")
    String priceList();

    @RpcMethod("price_list")
    String priceListToo();
  }

  /** The sharded catalogue of {@link DescribeTest}: records, generics, a recursive type, one-way, exceptions. */
  private static final ObjectNode CATALOGUE = AsyncApi.document(ServiceContract.of(DescribeTest.Catalogue.class));
  private static final ObjectNode PRICES = AsyncApi.document(ServiceContract.of(Prices.class));

  @Test
  void theInfoNamesTheServiceAndItsLibraryAndProtocol() {
    assertEquals("3.0.0", CATALOGUE.get("asyncapi").asText());
    assertEquals(DescribeTest.Catalogue.class.getName(), CATALOGUE.at("/info/title").asText());
    assertTrue(CATALOGUE.at("/info/version").asText().matches("rabbit-rpc-java .+, protocol 1"), CATALOGUE.at("/info").toString());
    assertFalse(CATALOGUE.has("servers"));
    assertEquals("application/json", CATALOGUE.get("defaultContentType").asText());
  }

  @Test
  void aServiceOnOneQueueHasThatQueueAsItsRequestChannel() {
    JsonNode requests = PRICES.at("/channels/requests");
    assertEquals("prices", requests.get("address").asText());
    assertFalse(requests.has("parameters"));
    assertEquals("queue", requests.at("/bindings/amqp/is").asText());
    assertEquals("prices", requests.at("/bindings/amqp/queue/name").asText());
    assertEquals("0.3.0", requests.at("/bindings/amqp/bindingVersion").asText());
  }

  @Test
  void aShardedServiceHasOneRequestChannelWhoseShardIsAParameter() {
    JsonNode requests = CATALOGUE.at("/channels/requests");
    assertEquals("catalogue.{shard}", requests.get("address").asText());
    assertEquals(List.of("0", "1", "2"), texts(requests.at("/parameters/shard/enum")));
    assertTrue(requests.get("description").asText().contains("catalogue.0, catalogue.1, catalogue.2"), requests.toString());
    assertTrue(requests.at("/bindings/amqp/queue/name").isMissingNode(), "no one queue name: " + requests);
  }

  @Test
  void eachMethodIsAnOperationTheServerReceivesOnTheRequestChannel() {
    JsonNode operations = CATALOGUE.get("operations");
    assertEquals(List.of("flags", "get-item", "page", "sku", "touch", "tree"), names(operations));
    for (JsonNode operation : operations) {
      assertEquals("receive", operation.get("action").asText());
      assertEquals(REQUESTS, operation.at("/channel/$ref").asText());
      assertEquals(1, operation.get("messages").size(), operation::toString);
      String message = operation.at("/messages/0/$ref").asText();
      assertTrue(message.startsWith(REQUESTS + "/messages/"), message);
      assertTrue(operation.at("/bindings/amqp/ack").asBoolean(), operation::toString);
    }
    JsonNode get = operations.get("get-item");
    assertEquals("get", get.get("title").asText());
    assertEquals(List.of(DescribeTest.Missing.class.getName()), texts(get.at("/x-rabbit-rpc/exceptions")));
    assertEquals("id", get.at("/x-rabbit-rpc/shardKey").asText());
    assertTrue(get.get("description").asText().contains("Declares " + DescribeTest.Missing.class.getName()), get::toString);
    assertTrue(operations.at("/page/x-rabbit-rpc/idempotent").asBoolean());
    assertEquals(750, operations.at("/page/x-rabbit-rpc/timeoutMillis").asLong());
  }

  @Test
  void aRequestIsTheMethodsWireNameAndItsArgumentsAsATuple() {
    JsonNode payload = resolve(CATALOGUE, CATALOGUE.at("/channels/requests/messages/get-item.request")).get("payload");
    assertEquals(List.of("method", "args"), texts(payload.get("required")));
    assertEquals("get-item", payload.at("/properties/method/const").asText());
    JsonNode args = payload.at("/properties/args");
    assertEquals(2, args.get("minItems").asInt());
    assertEquals(2, args.get("maxItems").asInt());
    assertEquals("id", args.at("/items/0/title").asText());
    assertEquals("string", args.at("/items/0/type").asText());
    assertEquals("request", args.at("/items/1/title").asText());
    assertEquals("uuid", args.at("/items/1/format").asText());
    assertFalse(args.has("prefixItems"), "draft 07, as AsyncAPI Schema Objects are");
  }

  @Test
  void aReplyGoesToTheRequestsReplyToOnTheDynamicReplyChannel() {
    assertTrue(CATALOGUE.at("/channels/replies").has("address"));
    assertTrue(CATALOGUE.at("/channels/replies/address").isNull(), "the caller's reply_to: not known in advance");
    JsonNode reply = CATALOGUE.at("/operations/get-item/reply");
    assertEquals("$message.header#/reply_to", reply.at("/address/location").asText());
    assertEquals(REPLIES, reply.at("/channel/$ref").asText());
    assertEquals(List.of(REPLIES + "/messages/get-item.reply", REPLIES + "/messages/rabbit-rpc.error"), refs(reply.get("messages")));
    JsonNode result = resolve(CATALOGUE, resolve(CATALOGUE, reply.at("/messages/0")).get("payload"));
    assertEquals("object", result.get("type").asText(), "the Item record, from components.schemas");
    assertTrue(result.at("/properties/count").has("type"), result::toString);
    JsonNode error = resolve(CATALOGUE, resolve(CATALOGUE, reply.at("/messages/1")).get("payload"));
    assertTrue(texts(error.at("/properties/error/properties/code/enum")).contains("APPLICATION_ERROR"), error::toString);
  }

  @Test
  void everyMessageIsCorrelatedByTheCorrelationIdProperty() {
    JsonNode messages = CATALOGUE.at("/components/messages");
    assertTrue(messages.size() > 6, messages::toString);
    for (JsonNode message : messages) {
      JsonNode correlation = resolve(CATALOGUE, message.get("correlationId"));
      assertEquals("$message.header#/correlation_id", correlation.get("location").asText());
      JsonNode headers = resolve(CATALOGUE, message.get("headers"));
      assertTrue(headers.at("/properties/correlation_id").has("type"), headers::toString);
    }
    assertEquals(List.of("correlation_id", "reply_to"),
        texts(CATALOGUE.at("/components/schemas/rabbit-rpc.RequestHeaders/required")));
  }

  @Test
  void aOneWayMethodHasNoReplyAndNoReplyTo() {
    JsonNode touch = CATALOGUE.at("/operations/touch");
    assertFalse(touch.has("reply"), touch::toString);
    JsonNode request = resolve(CATALOGUE, touch.at("/messages/0"));
    JsonNode headers = resolve(CATALOGUE, request.get("headers"));
    assertTrue(headers.at("/properties/reply_to").isMissingNode(), headers::toString);
    assertTrue(headers.at("/properties/rpc-deadline").has("type"), headers::toString);
  }

  @Test
  void aStreamingMethodRepliesWithItemsThenAnEnd() {
    JsonNode watch = PRICES.at("/operations/watch");
    assertEquals(List.of(REPLIES + "/messages/watch.item", REPLIES + "/messages/watch.end", REPLIES + "/messages/rabbit-rpc.error"),
        refs(watch.at("/reply/messages")));
    JsonNode item = resolve(PRICES, watch.at("/reply/messages/0"));
    assertEquals(List.of("correlation_id", "reply_to", "rpc-stream-seq"), texts(resolve(PRICES, item.get("headers")).get("required")));
    assertEquals("object", resolve(PRICES, item.get("payload")).get("type").asText());
    JsonNode end = resolve(PRICES, watch.at("/reply/messages/1"));
    assertEquals("null", end.at("/payload/type").asText());
    assertTrue(texts(resolve(PRICES, end.get("headers")).get("required")).contains("rpc-stream-end"));
    JsonNode request = resolve(PRICES, watch.at("/messages/0"));
    assertTrue(texts(resolve(PRICES, request.get("headers")).get("required")).contains("rpc-stream-window"));
    assertEquals(1_000, watch.at("/x-rabbit-rpc/idleMillis").asLong());
    assertTrue(watch.get("description").asText().contains("streaming"), watch::toString);
  }

  @Test
  void everyReferenceResolvesInTheDocumentAndNoDefsAreLeft() {
    for (ObjectNode document : List.of(CATALOGUE, PRICES)) {
      List<String> refs = new ArrayList<>();
      walk(document, refs);
      assertTrue(refs.size() > 20, refs::toString);
      for (String ref : refs) {
        assertTrue(ref.startsWith("#/"), ref);
        assertFalse(document.at(ref.substring(1)).isMissingNode(), () -> ref + " does not resolve");
      }
      for (String section : List.of("schemas", "messages")) {
        for (String key : names(document.at("/components/" + section))) {
          assertTrue(key.matches("[A-Za-z0-9._-]+"), key);
        }
      }
    }
    // The generic record and the recursive one are components, once each, referred to by their keys.
    JsonNode schemas = CATALOGUE.at("/components/schemas");
    String test = DescribeTest.class.getName();
    String page = test + "_Page_" + test + "_Item_"; // DescribeTest$Page<DescribeTest$Item>, in the characters a key allows
    assertEquals("#/components/schemas/" + page, CATALOGUE.at("/components/messages/page.reply/payload/$ref").asText());
    assertEquals("#/components/schemas/" + test + "_Item", schemas.at("/" + page + "/properties/items/items/$ref").asText());
    String node = DescribeTest.Node.class.getName().replace('$', '_');
    assertEquals("#/components/schemas/" + node, schemas.at("/" + node + "/properties/children/items/$ref").asText());
  }

  @Test
  void wireNamesThatAKeyCannotHoldGetKeysOfTheirOwnAndKeepTheirNamesOnTheWire() {
    ObjectNode document = AsyncApi.document(ServiceContract.of(Names.class));
    assertEquals(List.of("price_list", "price_list-2"), names(document.get("operations")));
    assertEquals("price list", resolve(document, document.at("/operations/price_list/messages/0")).at("/payload/properties/method/const").asText());
    assertEquals("price_list", resolve(document, document.at("/operations/price_list-2/messages/0")).at("/payload/properties/method/const").asText());
  }

  @Test
  void aBrokerIsTheOneServerWithoutItsCredentials() {
    ObjectNode document = AsyncApi.document(ServiceContract.of(Prices.class), URI.create("amqps://user:secret@rabbit.example:5671/prod"));
    JsonNode server = document.at("/servers/broker");
    assertEquals("rabbit.example:5671", server.get("host").asText());
    assertEquals("amqps", server.get("protocol").asText());
    assertEquals("0-9-1", server.get("protocolVersion").asText());
    assertEquals("/prod", server.get("pathname").asText());
    assertFalse(document.toString().contains("secret"), document::toString);
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> AsyncApi.document(ServiceContract.of(Prices.class), URI.create("http://user:secret@rabbit.example/")));
    assertFalse(failure.getMessage().contains("secret"), failure.getMessage());
  }

  @Test
  void twoDefinitionsOfOneNameThatDifferKeepTheirOwnComponents() {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    ObjectNode components = nodes.objectNode();
    AsyncApiSchemas schemas = new AsyncApiSchemas(components);
    ObjectNode first = nodes.objectNode().put("$ref", "#/$defs/a.B");
    first.putObject("$defs").putObject("a.B").put("type", "string");
    ObjectNode second = nodes.objectNode().put("$ref", "#/$defs/a.B");
    second.putObject("$defs").putObject("a.B").put("type", "integer");
    ObjectNode same = first.deepCopy();
    assertEquals("#/components/schemas/a.B", schemas.place(first).get("$ref").asText());
    assertEquals("#/components/schemas/a.B-2", schemas.place(second).get("$ref").asText());
    assertEquals("#/components/schemas/a.B", schemas.place(same).get("$ref").asText());
    assertEquals(Map.of("a.B", "string", "a.B-2", "integer"),
        Map.of("a.B", components.at("/a.B/type").asText(), "a.B-2", components.at("/a.B-2/type").asText()));
    assertTrue(first.has("$defs"), "the contract's schema is left as it was");
  }

  /** {@code node}, or what its {@code $ref} (and that one's, and so on) points to. */
  private static JsonNode resolve(JsonNode document, JsonNode node) {
    JsonNode resolved = node;
    while (resolved.has("$ref")) {
      resolved = document.at(resolved.get("$ref").asText().substring(1));
    }
    return resolved;
  }

  private static void walk(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      assertFalse(node.has("$defs"), node::toString);
      if (node.has("$ref")) {
        refs.add(node.get("$ref").asText());
      }
    }
    node.elements().forEachRemaining(child -> walk(child, refs));
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(value -> texts.add(value.asText()));
    return texts;
  }

  private static List<String> refs(JsonNode array) {
    List<String> refs = new ArrayList<>();
    array.forEach(value -> refs.add(value.get("$ref").asText()));
    return refs;
  }
}
