package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.List;
import java.util.Objects;

/**
 * The JSON codec: a strict Jackson mapper shared by every method of a client.
 *
 * <p>Strict means: no default typing and no class names taken from the wire; {@code "5"},
 * {@code 1.7}, {@code true} or {@code null} are not coerced into an {@code int} (nor numbers into a
 * {@code String}); trailing tokens fail; nesting depth and string length are bounded. Unknown
 * properties are ignored so that old and new versions of a record interoperate. {@code Optional}
 * and {@code java.time} types are supported.
 *
 * <p>Extra Jackson modules may be added with {@link #json(Module...)}; the strict settings are applied
 * after them and cannot be switched off.
 *
 * <p>This class is immutable and thread-safe; share one instance.
 */
public final class Codec {
  /** Maximum nesting of JSON arrays and objects in one message. */
  static final int MAX_NESTING_DEPTH = 200;

  private static final Codec DEFAULT = new Codec(List.of());

  private final List<Module> extraModules;
  /** Built on first use: Jackson's start-up then overlaps the client's first connection attempt. */
  private volatile ObjectMapper mapper;

  private Codec(List<Module> extraModules) {
    this.extraModules = extraModules;
  }

  /** The strict mapper; built once, on first use (building it loads hundreds of Jackson classes). */
  ObjectMapper mapper() {
    ObjectMapper built = mapper;
    if (built == null) {
      synchronized (this) {
        built = mapper;
        if (built == null) {
          built = build(extraModules);
          mapper = built;
        }
      }
    }
    return built;
  }

  private static ObjectMapper build(List<Module> extraModules) {
    JsonMapper.Builder builder =
        JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule());
    for (Module module : extraModules) {
      builder.addModule(Objects.requireNonNull(module, "module"));
    }
    builder
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .disable(MapperFeature.DEFAULT_VIEW_INCLUSION)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        // Class names from the wire are never trusted, whatever a type's annotations say.
        .polymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build())
        .deactivateDefaultTyping();
    ObjectMapper built = builder.build();
    built.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(StreamReadConstraints.DEFAULT_MAX_STRING_LEN)
                .build());
    built.coercionConfigDefaults().setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    for (LogicalType numeric : new LogicalType[] {LogicalType.Integer, LogicalType.Float}) {
      built.coercionConfigFor(numeric).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
      built.coercionConfigFor(numeric).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    }
    built.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    built.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    built.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    for (CoercionInputShape shape :
        new CoercionInputShape[] {
          CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean
        }) {
      built.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    return built;
  }

  /** The default strict JSON codec. */
  public static Codec json() {
    return DEFAULT;
  }

  /** A strict JSON codec with extra Jackson modules, for types the default cannot handle. */
  public static Codec json(Module... modules) {
    return modules.length == 0 ? DEFAULT : new Codec(List.of(modules));
  }

  @Override
  public String toString() {
    return "Codec[json, strict]";
  }
}
