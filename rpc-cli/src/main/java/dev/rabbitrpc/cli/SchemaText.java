package dev.rabbitrpc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema of a contract as a short type for people: {@code integer}, {@code array of Point},
 * {@code map of string}, {@code Point or null}, {@code "RED"|"GREEN"}, {@code string (uuid)},
 * {@code any}. A record is named by its {@code $defs} entry's simple name; its properties are
 * {@link #record}'s.
 *
 * <p>Stateless.
 */
final class SchemaText {
  private SchemaText() {}

  static String of(JsonNode schema) {
    if (schema == null || !schema.isObject()) {
      return "?";
    }
    if (schema.has("$ref")) {
      return simpleName(schema.get("$ref").asText());
    }
    if (schema.has("anyOf")) {
      List<String> parts = new ArrayList<>();
      for (JsonNode alternative : schema.get("anyOf")) {
        if (isNonFinite(alternative)) {
          continue; // a float's NaN and infinities, written as strings: part of "number" to a reader
        }
        parts.add(of(alternative));
      }
      return String.join(" or ", parts);
    }
    if (schema.has("enum")) {
      List<String> names = new ArrayList<>();
      schema.get("enum").forEach(name -> names.add(name.toString()));
      return String.join("|", names);
    }
    if (!schema.has("type")) {
      return "any";
    }
    String type = schema.get("type").asText();
    return switch (type) {
      case "array" -> (schema.path("uniqueItems").asBoolean() ? "set of " : "array of ") + of(schema.get("items"));
      case "object" -> schema.has("additionalProperties") ? "map of " + of(schema.get("additionalProperties")) : "object";
      case "string" -> schema.has("format") ? "string (" + schema.get("format").asText() + ")"
          : schema.has("contentEncoding") ? "string (" + schema.get("contentEncoding").asText() + ")"
          : schema.path("maxLength").asInt(-1) == 1 ? "string (1 character)" : "string";
      default -> type;
    };
  }

  /** The records a schema defines ({@code $defs}), each as {@code Name {a: integer, b: string}}. */
  static List<String> records(JsonNode schema) {
    List<String> records = new ArrayList<>();
    if (schema == null) {
      return records;
    }
    for (Map.Entry<String, JsonNode> def : schema.path("$defs").properties()) {
      records.add(simpleName(def.getKey()) + " " + record(def.getValue()));
    }
    return records;
  }

  private static String record(JsonNode schema) {
    List<String> properties = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : schema.path("properties").properties()) {
      properties.add(field.getKey() + ": " + of(field.getValue()));
    }
    return "{" + String.join(", ", properties) + "}";
  }

  private static boolean isNonFinite(JsonNode schema) {
    return schema.has("enum") && schema.get("enum").size() == 3 && schema.get("enum").get(0).asText().equals("NaN");
  }

  /** {@code #/$defs/com.example.Orders$Line} or {@code com.example.Page<com.example.Line>} to {@code Line}, {@code Page<Line>}. */
  private static String simpleName(String name) {
    String bare = name.startsWith("#/$defs/") ? name.substring("#/$defs/".length()) : name;
    return bare.replaceAll("[\\w$]+[.$]", "");
  }
}
