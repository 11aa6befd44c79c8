package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.runtime.ProtocolFixtures.Catalog;
import dev.rabbitrpc.runtime.ProtocolFixtures.CatalogImpl;
import dev.rabbitrpc.runtime.ProtocolFixtures.Fibonacci;
import dev.rabbitrpc.runtime.ProtocolFixtures.FibonacciImpl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads the wire protocol's test vectors (docs/protocol-vectors, format in its README). */
final class ProtocolVectors {
  static final Path DIRECTORY = Path.of("..", "docs", "protocol-vectors");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The client timeout the vectors' {@code expiration} assumes. */
  static final Duration TIMEOUT = Duration.ofMillis(5000);

  private ProtocolVectors() {}

  static List<JsonNode> vectors() throws IOException {
    return vectorsIn(DIRECTORY);
  }

  /** The stream vectors (docs/protocol-vectors/streams): a request, its {@code items}, then the reply. */
  static List<JsonNode> streamVectors() throws IOException {
    return vectorsIn(DIRECTORY.resolve("streams"));
  }

  /**
   * The replay vectors (docs/protocol-vectors/replays): {@code exchanges} sent in order to one server
   * with one reply store, and the number of {@code runs} of the method they make.
   */
  static List<JsonNode> replayVectors() throws IOException {
    return vectorsIn(DIRECTORY.resolve("replays"));
  }

  private static List<JsonNode> vectorsIn(Path directory) throws IOException {
    List<JsonNode> vectors = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        vectors.add(JSON.readTree(file.toFile()));
      }
    }
    assertFalse(vectors.isEmpty(), "no vectors in " + directory.toAbsolutePath());
    return vectors;
  }

  static boolean hasRole(JsonNode v, String role) {
    for (JsonNode r : v.get("roles")) {
      if (r.asText().equals(role)) {
        return true;
      }
    }
    return false;
  }

  static boolean varies(JsonNode v, String path) {
    for (JsonNode p : v.get("varies")) {
      if (p.asText().equals(path)) {
        return true;
      }
    }
    return false;
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  /** The body's bytes: {@code body_hex} for a binary (CBOR) body, else the UTF-8 of {@code body}. */
  static byte[] body(JsonNode message) {
    if (message.has("body_hex")) {
      return java.util.HexFormat.of().parseHex(message.get("body_hex").asText());
    }
    return message.get("body").asText().getBytes(StandardCharsets.UTF_8);
  }

  /** A body for messages: hex for a binary vector, else text. */
  static String show(JsonNode message, byte[] body) {
    return message.has("body_hex") ? java.util.HexFormat.of().formatHex(body) : new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Vector headers as amqp-client sends them: JSON integers as Integer when they fit, else Long;
   * booleans as Boolean ({@code rpc-replayed}).
   */
  static Map<String, Object> headers(JsonNode headers) {
    Map<String, Object> map = new HashMap<>();
    headers.properties().forEach(e -> map.put(e.getKey(),
        e.getValue().canConvertToInt() && e.getValue().isIntegralNumber() ? (Object) e.getValue().intValue()
            : e.getValue().isIntegralNumber() ? (Object) e.getValue().longValue()
            : e.getValue().isBoolean() ? (Object) e.getValue().booleanValue() : e.getValue().asText()));
    return map;
  }

  static ServiceDescriptor serverDescriptor(JsonNode v) {
    return ServiceDescriptor.parse(serverInterface(v), Codec.json(), TIMEOUT);
  }

  static Class<?> serverInterface(JsonNode v) {
    return "Fibonacci".equals(v.get("service").asText()) ? Fibonacci.class : Catalog.class;
  }

  static Object implementation(JsonNode v) {
    return "Fibonacci".equals(v.get("service").asText()) ? new FibonacciImpl() : new CatalogImpl();
  }
}
