package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.BeanSerializerBase;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * JSON Schemas (draft 2020-12) of the values a service method takes and returns, as the runtime's
 * codec writes them (docs/PROTOCOL.md, "Values"), for a {@link ServiceContract}.
 *
 * <p>Written here rather than taken from a library: the one Jackson 2 generator
 * ({@code jackson-module-jsonSchema}) writes draft 3 and its maintainers plan no work on it, and the schema must say what
 * this codec does (NaN as a string, {@code byte[]} as base64, {@code Optional} as the value or
 * null, enums by the name the codec writes), which a general generator does not know. Records and
 * beans are described by the properties Jackson serializes, each in the root's {@code $defs} (keyed
 * by the type's canonical name) and referred to by {@code $ref}, so that recursive types end.
 * Properties are not marked required: a reader ignores unknown ones and leaves missing ones unset,
 * except that the Java reader refuses a missing component of a primitive type (the schema does not
 * tell {@code int} from {@code Integer}; {@code RecordEvolutionTest} pins what the codec does).
 *
 * <p>Not thread-safe: one instance per schema.
 */
final class JsonSchemas {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final ObjectMapper mapper;
  private final ObjectNode defs = NODES.objectNode();

  private JsonSchemas(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** The schema of {@code type}, standalone: with the {@code $defs} of the records and beans it uses. */
  static ObjectNode of(ObjectMapper mapper, JavaType type) {
    JsonSchemas schemas = new JsonSchemas(mapper);
    ObjectNode schema = schemas.schema(type);
    if (!schemas.defs.isEmpty()) {
      schema.set("$defs", schemas.defs);
    }
    return schema;
  }

  private ObjectNode schema(JavaType type) {
    Class<?> raw = type.getRawClass();
    if (raw == void.class || raw == Void.class) {
      return typed("null");
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return typed("boolean");
    }
    if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class || raw == short.class
        || raw == Short.class || raw == byte.class || raw == Byte.class || raw == BigInteger.class) {
      return typed("integer");
    }
    if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
      ObjectNode schema = NODES.objectNode();
      ArrayNode anyOf = schema.putArray("anyOf");
      anyOf.add(typed("number"));
      anyOf.addObject().set("enum", NODES.arrayNode().add("NaN").add("Infinity").add("-Infinity"));
      return schema;
    }
    if (raw == BigDecimal.class) {
      return typed("number");
    }
    if (raw == String.class) {
      return typed("string");
    }
    if (raw == char.class || raw == Character.class) {
      return typed("string").put("minLength", 1).put("maxLength", 1);
    }
    if (raw == UUID.class) {
      return typed("string").put("format", "uuid");
    }
    if (raw == byte[].class) {
      return typed("string").put("contentEncoding", "base64");
    }
    if (raw.getPackageName().equals("java.time")) {
      return time(raw);
    }
    if (raw.isEnum()) {
      ArrayNode names = NODES.arrayNode();
      for (Object constant : raw.getEnumConstants()) {
        names.add(mapper.valueToTree(constant));
      }
      ObjectNode schema = typed("string");
      schema.set("enum", names);
      return schema;
    }
    if (type.isArrayType() || type.isCollectionLikeType()) {
      ObjectNode schema = typed("array");
      schema.set("items", schema(type.getContentType()));
      if (Set.class.isAssignableFrom(raw)) {
        schema.put("uniqueItems", true);
      }
      return schema;
    }
    if (type.isMapLikeType()) {
      ObjectNode schema = typed("object");
      schema.set("additionalProperties", schema(type.getContentType()));
      return schema;
    }
    if (type.isReferenceType()) { // Optional<T>, AtomicReference<T>: the value, or null
      ObjectNode schema = NODES.objectNode();
      schema.putArray("anyOf").add(schema(type.getReferencedType())).add(typed("null"));
      return schema;
    }
    if (raw == Object.class || JsonNode.class.isAssignableFrom(raw) || raw.isInterface()
        || Collection.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw)) {
      return NODES.objectNode(); // any JSON value
    }
    return bean(type);
  }

  private static ObjectNode time(Class<?> raw) {
    ObjectNode schema = typed("string");
    if (raw == LocalDate.class) {
      schema.put("format", "date");
    } else if (raw == Instant.class || raw == OffsetDateTime.class || raw == ZonedDateTime.class) {
      schema.put("format", "date-time");
    } else if (raw == Duration.class) {
      schema.put("format", "duration");
    } else if (raw == LocalTime.class) {
      schema.put("description", "ISO-8601 local time, e.g. 10:15:30");
    } else if (raw == LocalDateTime.class) {
      schema.put("description", "ISO-8601 local date-time, e.g. 2024-05-01T10:15:30");
    } else {
      schema.put("description", "ISO-8601 " + raw.getSimpleName());
    }
    return schema;
  }

  /**
   * A record or bean: its serialized properties, defined once in {@code $defs}. A type Jackson
   * writes otherwise ({@code @JsonValue}, a serializer of a module the application added) has a
   * schema that allows any value, saying so: its shape is that serializer's, which this cannot see.
   */
  private ObjectNode bean(JavaType type) {
    JsonSerializer<Object> serializer;
    try {
      serializer = mapper.getSerializerProviderInstance().findValueSerializer(type);
    } catch (JsonMappingException e) {
      serializer = null;
    }
    if (!(serializer instanceof BeanSerializerBase)) {
      return NODES.objectNode().put("description", type.getRawClass().getName() + " is written by "
          + (serializer == null ? "no serializer" : serializer.getClass().getName()) + "; its shape is not described");
    }
    String name = type.hasGenericTypes() ? type.toCanonical() : type.getRawClass().getName();
    ObjectNode ref = NODES.objectNode().put("$ref", "#/$defs/" + name);
    if (defs.has(name)) {
      return ref;
    }
    ObjectNode schema = typed("object");
    defs.set(name, schema); // before the properties: a recursive type refers to itself
    ObjectNode properties = schema.putObject("properties");
    BeanDescription description = mapper.getSerializationConfig().introspect(type);
    for (BeanPropertyDefinition property : description.findProperties()) {
      if (property.couldSerialize()) {
        properties.set(property.getName(), schema(property.getPrimaryType()));
      }
    }
    return ref;
  }

  private static ObjectNode typed(String type) {
    return NODES.objectNode().put("type", type);
  }
}
