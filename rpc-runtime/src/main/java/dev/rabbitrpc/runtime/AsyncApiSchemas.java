package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Schemas of a {@link ServiceContract} placed in an AsyncAPI document ({@link AsyncApi}):
 * each schema's {@code $defs} (the records and beans it uses, {@link JsonSchemas}) moved into the
 * document's {@code components.schemas} and its {@code $ref}s rewritten to point there, so that they
 * resolve in the document, where the root of a schema is no longer the root of the file.
 *
 * <p>A definition's key is its type name with the characters AsyncAPI does not allow in a
 * component's key ({@code ^[\w.-]+$}: {@code $}, {@code <>}, {@code ,} and spaces of generic and
 * nested names) replaced by {@code _}. Two schemas of one contract that define the same type define
 * it alike and share one component; should two differ (or two names become one key), the later
 * gets a key of its own ({@code -2}, {@code -3} …), so that no schema is silently replaced.
 *
 * <p>Not thread-safe: one instance per document.
 */
final class AsyncApiSchemas {
  private static final String DEFS = "#/$defs/";
  private static final String COMPONENTS = "#/components/schemas/";
  private final ObjectNode components;

  /** Places schemas into {@code components}, the document's {@code components.schemas}. */
  AsyncApiSchemas(ObjectNode components) {
    this.components = components;
  }

  /** A key AsyncAPI allows for a component, a channel, an operation or a message: {@code name} with every other character {@code _}. */
  static String key(String name) {
    String key = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return key.isEmpty() ? "_" : key;
  }

  /**
   * {@code schema} as the document holds it: a copy without {@code $defs}, its references to them
   * pointing into {@code components.schemas}, where the definitions are added.
   */
  JsonNode place(JsonNode schema) {
    JsonNode copy = schema.deepCopy();
    if (!copy.isObject() || !(copy.get("$defs") instanceof ObjectNode)) {
      return copy;
    }
    ObjectNode defs = (ObjectNode) ((ObjectNode) copy).remove("$defs");
    Map<String, String> keys = new LinkedHashMap<>();
    for (Iterator<String> names = defs.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      String key = key(name);
      keys.put(name, keys.containsValue(key) ? unused(key, keys) : key);
    }
    Map<String, JsonNode> placed = rewritten(defs, keys);
    while (movedClashes(placed, keys)) {
      placed = rewritten(defs, keys);
    }
    for (Map.Entry<String, JsonNode> def : placed.entrySet()) {
      components.set(keys.get(def.getKey()), def.getValue());
    }
    rewrite(copy, keys);
    return copy;
  }

  private static Map<String, JsonNode> rewritten(ObjectNode defs, Map<String, String> keys) {
    Map<String, JsonNode> placed = new LinkedHashMap<>();
    for (Map.Entry<String, String> key : keys.entrySet()) {
      JsonNode def = defs.get(key.getKey()).deepCopy();
      rewrite(def, keys);
      placed.put(key.getKey(), def);
    }
    return placed;
  }

  /**
   * Moves each definition whose key the components hold with another schema to a key nothing
   * holds. That changes the references of the definitions that use it, so the caller rewrites them
   * and asks again, until nothing moves (each round moves one at least, to a key nothing held).
   */
  private boolean movedClashes(Map<String, JsonNode> placed, Map<String, String> keys) {
    boolean moved = false;
    for (Map.Entry<String, JsonNode> def : placed.entrySet()) {
      String key = keys.get(def.getKey());
      JsonNode held = components.get(key);
      if (held != null && !held.equals(def.getValue())) {
        keys.put(def.getKey(), unused(key, keys));
        moved = true;
      }
    }
    return moved;
  }

  /** The first of {@code key-2}, {@code key-3} … that neither the components nor {@code taken} hold. */
  private String unused(String key, Map<String, String> taken) {
    for (int i = 2; ; i++) {
      String candidate = key + "-" + i;
      if (!components.has(candidate) && !taken.containsValue(candidate)) {
        return candidate;
      }
    }
  }

  /** Rewrites, in place, every {@code $ref} to one of {@code keys}' definitions. */
  private static void rewrite(JsonNode node, Map<String, String> keys) {
    List<JsonNode> children = new ArrayList<>();
    node.elements().forEachRemaining(children::add);
    if (node instanceof ObjectNode object && object.get("$ref") != null && object.get("$ref").isTextual()) {
      String ref = object.get("$ref").asText();
      if (ref.startsWith(DEFS)) {
        String key = keys.get(ref.substring(DEFS.length()).replace("~1", "/").replace("~0", "~"));
        if (key != null) {
          object.put("$ref", COMPONENTS + key);
        }
      }
    }
    for (JsonNode child : children) {
      rewrite(child, keys);
    }
  }
}
