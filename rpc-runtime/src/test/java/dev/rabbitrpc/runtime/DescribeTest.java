package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import dev.rabbitrpc.api.Timeout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The describe request without a broker: the contract made of an interface (schemas of many types,
 * flags, names), the reserved wire names, the dispatcher's answer in JSON and CBOR, and a server
 * that does not describe itself.
 */
class DescribeTest {
  private static final Codec CODEC = Codec.json();
  private static final ObjectMapper JSON = CODEC.mapper(WireFormat.JSON);
  private static final Map<String, Object> HEADERS = Map.of(WireHeaders.PROTOCOL, 1);

  enum Colour { RED, GREEN }

  record Item(String name, int count, Optional<Instant> seen) {}

  /** A tree: refers to itself. */
  record Node(String label, List<Node> children) {}

  record Page<T>(List<T> items, long total) {}

  /** Written as its one string by {@code @JsonValue}: not as a bean. */
  public static final class Sku {
    private final String code;

    @com.fasterxml.jackson.annotation.JsonCreator
    public Sku(String code) {
      this.code = code;
    }

    @com.fasterxml.jackson.annotation.JsonValue
    public String code() {
      return code;
    }
  }

  public static final class Missing extends Exception {
    private static final long serialVersionUID = 1L;

    public Missing(String message) {
      super(message);
    }
  }

  @RpcService(queue = "catalogue", shards = 3)
  @Timeout(value = 2, unit = TimeUnit.SECONDS)
  interface Catalogue {
    @RpcMethod("get-item")
    Item get(@ShardKey String id, UUID request) throws Missing;

    @Idempotent
    @Timeout(750)
    Page<Item> page(int from, byte[] cursor, Set<Colour> colours);

    @OneWay
    void touch(Map<String, List<LocalDate>> days, LocalDateTime at);

    CompletableFuture<Node> tree(double weight, Optional<Boolean> deep);

    boolean[] flags(char c, Long boxed);

    Sku sku(Sku sku);
  }

  interface Reserved {
    @RpcMethod("rpc.ping")
    int ping();
  }

  private record Sent(String status, byte[] body) {}

  private static Sent dispatch(Dispatcher to, WireFormat format, byte[] body) throws Exception {
    CompletableFuture<Sent> reply = new CompletableFuture<>();
    to.dispatch(format.contentType, HEADERS, body, false, "id-1", (status, replyBody) -> reply.complete(new Sent(status, replyBody)));
    return reply.get(10, TimeUnit.SECONDS);
  }

  private static ServiceContract contract() {
    return ServiceContract.of(ServiceDescriptor.parse(Catalogue.class, CODEC, Duration.ofSeconds(5)), JSON);
  }

  @Test
  void theContractNamesTheServiceItsQueuesAndMethods() {
    ServiceContract contract = contract();
    assertEquals(1, contract.protocol());
    assertTrue(contract.library().startsWith("rabbit-rpc-java "), contract.library());
    assertFalse(contract.library().contains("unknown") || contract.library().contains("${"), contract.library());
    assertEquals(Catalogue.class.getName(), contract.service());
    assertEquals("catalogue", contract.queue());
    assertEquals(3, contract.shards());
    assertEquals(List.of("catalogue.0", "catalogue.1", "catalogue.2"), contract.queues());
    assertEquals(List.of("application/json", "application/cbor"), contract.encodings());
    assertFalse(contract.plainText());
    assertEquals(List.of("flags", "get-item", "page", "sku", "touch", "tree"),
        contract.methods().stream().map(ServiceContract.Method::wireName).toList());

    ServiceContract.Method get = contract.method("get-item");
    assertEquals("get", get.javaName());
    assertEquals(List.of("id", "request"), get.parameters().stream().map(ServiceContract.Parameter::name).toList());
    assertEquals(List.of(Missing.class.getName()), get.exceptions());
    assertEquals("id", get.shardKey());
    assertEquals(2000, get.timeoutMillis());
    assertFalse(get.idempotent() || get.oneWay() || get.plainText());

    ServiceContract.Method page = contract.method("page");
    assertTrue(page.idempotent());
    assertEquals(750, page.timeoutMillis());
    assertNull(page.shardKey());
    assertTrue(contract.method("touch").oneWay());
    assertNull(contract.method("nothing"));
  }

  @Test
  void schemasFollowTheCodec() throws Exception {
    ServiceContract contract = contract();
    ServiceContract.Method get = contract.method("get-item");
    assertEquals(json("{\"type\":\"string\"}"), get.parameters().get(0).schema());
    assertEquals(json("{\"type\":\"string\",\"format\":\"uuid\"}"), get.parameters().get(1).schema());
    String itemName = Item.class.getName();
    assertEquals(json("{\"$ref\":\"#/$defs/" + itemName + "\",\"$defs\":{\"" + itemName + "\":{\"type\":\"object\","
        + "\"properties\":{\"name\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},"
        + "\"seen\":{\"anyOf\":[{\"type\":\"string\",\"format\":\"date-time\"},{\"type\":\"null\"}]}}}}}"), get.result());

    ServiceContract.Method page = contract.method("page");
    assertEquals(json("{\"type\":\"integer\"}"), page.parameters().get(0).schema());
    assertEquals(json("{\"type\":\"string\",\"contentEncoding\":\"base64\"}"), page.parameters().get(1).schema());
    assertEquals(json("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[\"RED\",\"GREEN\"]},\"uniqueItems\":true}"),
        page.parameters().get(2).schema());
    // A generic record: defined under its full type, its type argument resolved.
    JsonNode pageResult = page.result();
    String pageName = pageResult.get("$ref").asText().substring("#/$defs/".length());
    assertTrue(pageName.contains(Page.class.getName()) && pageName.contains(itemName), pageName);
    assertEquals(json("{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/" + itemName + "\"}}"),
        pageResult.get("$defs").get(pageName).get("properties").get("items"));
    assertEquals(json("{\"type\":\"integer\"}"), pageResult.get("$defs").get(pageName).get("properties").get("total"));

    ServiceContract.Method touch = contract.method("touch");
    assertEquals(json("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"date\"}}}"),
        touch.parameters().get(0).schema());
    assertEquals("string", touch.parameters().get(1).schema().get("type").asText());
    assertEquals(json("{\"type\":\"null\"}"), touch.result());

    ServiceContract.Method tree = contract.method("tree");
    assertEquals(json("{\"anyOf\":[{\"type\":\"number\"},{\"enum\":[\"NaN\",\"Infinity\",\"-Infinity\"]}]}"),
        tree.parameters().get(0).schema());
    assertEquals(json("{\"anyOf\":[{\"type\":\"boolean\"},{\"type\":\"null\"}]}"), tree.parameters().get(1).schema());
    // A recursive record refers to its own definition, and the result is CompletableFuture's value.
    String nodeName = Node.class.getName();
    assertEquals(json("{\"$ref\":\"#/$defs/" + nodeName + "\",\"$defs\":{\"" + nodeName + "\":{\"type\":\"object\","
        + "\"properties\":{\"label\":{\"type\":\"string\"},\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/"
        + nodeName + "\"}}}}}}"), tree.result());

    ServiceContract.Method flags = contract.method("flags");
    assertEquals(json("{\"type\":\"string\",\"minLength\":1,\"maxLength\":1}"), flags.parameters().get(0).schema());
    assertEquals(json("{\"type\":\"integer\"}"), flags.parameters().get(1).schema());
    assertEquals(json("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}"), flags.result());

    // Not a bean to Jackson (@JsonValue): any value, and the schema says why rather than inventing properties.
    JsonNode sku = contract.method("sku").result();
    assertEquals(1, sku.size(), sku.toString());
    assertTrue(sku.get("description").asText().startsWith(Sku.class.getName() + " is written by "), sku.toString());
  }

  @Test
  void aUserMethodCannotTakeAReservedName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServiceDescriptor.parse(Reserved.class, CODEC, Duration.ofSeconds(5)));
    assertTrue(e.getMessage().contains("\"rpc.ping\" starts with \"rpc.\""), e.getMessage());
    assertTrue(e.getMessage().endsWith("for method Reserved.ping"), e.getMessage());
  }

  @Test
  void theDispatcherAnswersDescribeInJsonAndCborWithoutUserCodeOrInterceptors() throws Exception {
    ServiceDescriptor catalogue = ServiceDescriptor.parse(Catalogue.class, CODEC, Duration.ofSeconds(5));
    AtomicInteger intercepted = new AtomicInteger();
    ServerInterceptor counting = (call, next) -> {
      intercepted.incrementAndGet();
      return next.proceed(call);
    };
    // The implementation is never called: a null one would fail any user method.
    Dispatcher dispatcher = new Dispatcher(catalogue, null, CODEC, new MessageSizeLimit(1 << 20), List.of(counting));
    for (WireFormat format : List.of(WireFormat.JSON, WireFormat.CBOR)) {
      byte[] request = CODEC.mapper(format).writeValueAsBytes(Map.of("method", "rpc.describe", "args", List.of()));
      Sent sent = dispatch(dispatcher, format, request);
      assertEquals("OK", sent.status(), new String(sent.body(), StandardCharsets.UTF_8));
      ServiceContract read = CODEC.mapper(format).readValue(sent.body(), ServiceContract.class);
      assertEquals(contract(), read);
    }
    // "args" may be omitted for a method without parameters (§4).
    Sent bare = dispatch(dispatcher, WireFormat.JSON, "{\"method\":\"rpc.describe\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals("OK", bare.status());
    assertEquals(0, intercepted.get());
    assertEquals(0, dispatcher.unknownMethodRequests());
  }

  @Test
  void aServerThatDoesNotDescribeItselfAnswersUnknownMethod() throws Exception {
    ServiceDescriptor catalogue = ServiceDescriptor.parse(Catalogue.class, CODEC, Duration.ofSeconds(5));
    Dispatcher dispatcher = new Dispatcher(catalogue, null, CODEC, new MessageSizeLimit(1 << 20), List.of(), false);
    Sent off = dispatch(dispatcher, WireFormat.JSON, "{\"method\":\"rpc.describe\",\"args\":[]}".getBytes(StandardCharsets.UTF_8));
    Sent unknown = dispatch(dispatcher, WireFormat.JSON, "{\"method\":\"rpc.other\",\"args\":[]}".getBytes(StandardCharsets.UTF_8));
    assertEquals("UNKNOWN_METHOD", off.status());
    assertEquals("{\"error\":{\"code\":\"UNKNOWN_METHOD\",\"message\":\"service Catalogue has no method \\\"rpc.describe\\\"\"}}",
        new String(off.body(), StandardCharsets.UTF_8));
    assertEquals("UNKNOWN_METHOD", unknown.status());
    assertEquals(2, dispatcher.unknownMethodRequests());
  }

  @Test
  void theContractRoundTripsThroughJson() throws Exception {
    ServiceContract contract = contract();
    byte[] written = JSON.writeValueAsBytes(contract);
    assertEquals(contract, JSON.readValue(written, ServiceContract.class));
    JsonNode tree = JSON.readTree(written);
    assertEquals("get-item", tree.get("methods").get(1).get("wireName").asText());
    assertTrue(tree.get("methods").get(1).get("parameters").get(0).has("schema"));
  }

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void aContractWithoutSomeFieldsIsReadWithEmptyLists() throws Exception {
    // What a peer may send that leaves out the lists (the codec, strict, requires the numbers and
    // booleans: a missing one is not read as 0 or false), with a field this version does not know.
    ServiceContract read = JSON.readValue("{\"protocol\":1,\"service\":\"Fibonacci\",\"queue\":\"rpc_queue\","
        + "\"shards\":1,\"plainText\":false,\"methods\":[{\"wireName\":\"fib\",\"result\":{\"type\":\"integer\"},"
        + "\"oneWay\":false,\"idempotent\":false,\"plainText\":false,\"timeoutMillis\":1}],\"future\":true}",
        ServiceContract.class);
    assertEquals(List.of(), read.queues());
    assertEquals(List.of(), read.encodings());
    assertEquals(List.of(), read.method("fib").parameters());
    assertEquals(List.of(), read.method("fib").exceptions());
    assertEquals("integer", read.method("fib").result().get("type").asText());
  }
}
