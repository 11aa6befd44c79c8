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
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.List;
import java.util.Objects;

/**
 * The codec: one strict Jackson model, shared by every method of a client, written and read as JSON
 * ({@code application/json}) and as CBOR ({@code application/cbor}, docs/PROTOCOL.md, "CBOR").
 *
 * <p>Strict means: no default typing and no class names taken from the wire; {@code "5"},
 * {@code 1.7}, {@code true} or {@code null} are not coerced into an {@code int} (nor numbers into a
 * {@code String}); trailing tokens fail; nesting depth and
 * string length are bounded. Unknown properties are ignored so that old and new versions of a record
 * interoperate. {@code Optional} and {@code java.time} types are supported.
 *
 * <p>The JSON and the CBOR mapper are built by one method from the same settings, modules and
 * stream read constraints, so that both formats bind the same Java types by the same rules; only
 * the bytes differ (CBOR carries {@code byte[]} as a byte string, not base64 text).
 *
 * <p>Extra Jackson modules may be added with {@link #json(Module...)}; they serve both formats, and
 * the strict settings are applied after them and cannot be switched off.
 *
 * <p>This class is immutable and thread-safe; share one instance.
 */
public final class Codec {
  /** Maximum nesting of JSON arrays and objects (CBOR arrays and maps) in one message. */
  static final int MAX_NESTING_DEPTH = 200;

  private static final Codec DEFAULT = new Codec(List.of());

  private final List<Module> extraModules;
  /** Built on first use: Jackson's start-up then overlaps the client's first connection attempt. */
  private volatile ObjectMapper mapper;
  /** Built on first use too: a client and servers that see no CBOR never load its classes. */
  private volatile ObjectMapper cborMapper;

  private Codec(List<Module> extraModules) {
    this.extraModules = extraModules;
  }

  /** The one configuration of both formats: modules, then the strict settings over them. */
  private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> M strict(B builder, List<Module> extraModules) {
    builder
        .addModule(new Jdk8Module())
        .addModule(new JavaTimeModule())
        .addModule(new com.fasterxml.jackson.databind.module.SimpleModule("rabbit-rpc-bytes")
            .addDeserializer(byte[].class, new Base64Bytes()));
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
        // Class names from the wire are never trusted, whatever a type's annotations say.
        .polymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build())
        .deactivateDefaultTyping();
    M built = builder.build();
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

  /** The default strict codec (JSON, and CBOR for the clients and services that choose it). */
  public static Codec json() {
    return DEFAULT;
  }

  /** A strict codec with extra Jackson modules, for types the default cannot handle; they serve JSON and CBOR alike. */
  public static Codec json(Module... modules) {
    return modules.length == 0 ? DEFAULT : new Codec(List.of(modules));
  }

  /**
   * The JSON mapper, built once on first use (building it loads hundreds of Jackson classes); its
   * types, readers and writers serve CBOR too (WireBody reads and writes both).
   */
  ObjectMapper mapper() {
    ObjectMapper built = mapper;
    if (built == null) {
      synchronized (this) {
        built = mapper;
        if (built == null) {
          built = strict(JsonMapper.builder().disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS), extraModules);
          mapper = built;
        }
      }
    }
    return built;
  }

  /** The mapper whose factory writes and reads a format's bodies; the JSON one for plain text. */
  ObjectMapper mapper(WireFormat format) {
    if (format != WireFormat.CBOR) {
      return mapper();
    }
    ObjectMapper built = cborMapper;
    if (built == null) {
      synchronized (this) {
        built = cborMapper;
        if (built == null) {
          built = strict(CBORMapper.builder(), extraModules);
          cborMapper = built;
        }
      }
    }
    return built;
  }

  @Override
  public String toString() {
    return "Codec[json+cbor, strict]";
  }
}
