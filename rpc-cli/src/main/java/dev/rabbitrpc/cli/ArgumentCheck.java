package dev.rabbitrpc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.ServiceContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a call's JSON arguments against the method's described JSON Schemas before anything is
 * sent, so that a mistake is named on the command line rather than by the server. What is checked
 * (docs/guide/cli.md, "What call checks"):
 *
 * <ul>
 *   <li>the number of arguments against the number of parameters;
 *   <li>each value, all the way down, against its schema's {@code type} ({@code integer}: a JSON
 *       number without a fraction; {@code number}: any number; {@code string}, {@code boolean},
 *       {@code array}, {@code object}, {@code null}), {@code enum}, {@code anyOf} (one alternative
 *       fits), {@code $ref} (through the parameter schema's {@code $defs}), {@code items},
 *       {@code additionalProperties}, {@code properties} (each one present), {@code required}
 *       (present, and not null) and {@code minLength}/{@code maxLength} (a {@code char});
 *   <li>not checked: {@code format} (uuid, date-time …) and {@code contentEncoding} (base64), and
 *       properties the schema does not name (the server ignores them). A missing property passes:
 *       rabbit-rpc-java's schemas mark none required, because the server reads a missing record
 *       component as null — except one of a primitive type, which it refuses with
 *       {@code INVALID_ARGUMENT} (the schema does not tell {@code int} from {@code Integer}).
 * </ul>
 *
 * <p>Stateless.
 */
final class ArgumentCheck {
  private ArgumentCheck() {}

  /**
   * The method {@code call} and {@code bench} call, found in the contract, and its arguments checked.
   *
   * @throws Failure {@code UNKNOWN_METHOD} listing the methods the service has; {@code INVALID_ARGUMENT}
   *     for a one-way method (nothing would answer) or arguments that do not fit
   */
  static ServiceContract.Method check(ServiceContract contract, String queue, String method, List<JsonNode> args) {
    ServiceContract.Method described = contract.method(method);
    if (described == null) {
      List<String> names = contract.methods().stream().map(ServiceContract.Method::wireName).toList();
      throw Failure.of(Code.UNKNOWN_METHOD, contract.service() + " on " + queue + " has no method " + method
          + "; its methods: " + String.join(", ", names));
    }
    if (described.oneWay()) {
      throw Failure.of(Code.INVALID_ARGUMENT, method + " is one-way (nothing is answered); the CLI calls methods that reply");
    }
    if (described.streaming()) {
      throw Failure.of(Code.INVALID_ARGUMENT, method + " answers with a stream of items; the CLI calls methods with one"
          + " reply (read a stream with a Stream<T> or Flow.Publisher<T> proxy, or interop/python's rpc_json.py)");
    }
    check(described, args);
    return described;
  }

  /**
   * @throws Failure {@code INVALID_ARGUMENT} naming the argument, the path inside it and what was
   *     expected, for the first mismatch
   */
  static void check(ServiceContract.Method method, List<JsonNode> args) {
    List<ServiceContract.Parameter> parameters = method.parameters();
    if (args.size() != parameters.size()) {
      throw Failure.of(Code.INVALID_ARGUMENT, method.wireName() + " takes " + parameters.size() + " argument"
          + (parameters.size() == 1 ? "" : "s") + signature(parameters) + ", not " + args.size());
    }
    for (int i = 0; i < args.size(); i++) {
      ServiceContract.Parameter parameter = parameters.get(i);
      String problem = mismatch(parameter.schema(), parameter.schema(), args.get(i), "");
      if (problem != null) {
        throw Failure.of(Code.INVALID_ARGUMENT, method.wireName() + ": argument #" + (i + 1) + " ("
            + parameter.name() + ") " + problem);
      }
    }
  }

  private static String signature(List<ServiceContract.Parameter> parameters) {
    if (parameters.isEmpty()) {
      return "";
    }
    List<String> names = new ArrayList<>();
    for (ServiceContract.Parameter parameter : parameters) {
      names.add(parameter.name() + ": " + SchemaText.of(parameter.schema()));
    }
    return " (" + String.join(", ", names) + ")";
  }

  /** Why {@code value} does not fit {@code schema}, or null; {@code path} is where in the argument. */
  private static String mismatch(JsonNode root, JsonNode schema, JsonNode value, String path) {
    if (schema == null || !schema.isObject()) {
      return null; // nothing described: nothing to check
    }
    if (schema.has("$ref")) {
      String ref = schema.get("$ref").asText();
      JsonNode target = ref.startsWith("#/$defs/") ? root.path("$defs").get(ref.substring("#/$defs/".length())) : null;
      if (target != null && target.has("type") && !fits(target.get("type").asText(), value)) {
        return at(path) + "must be " + article(SchemaText.of(schema)) + ", not " + shown(value); // "a Point", not "an object"
      }
      return target == null ? null : mismatch(root, target, value, path);
    }
    if (schema.has("anyOf")) {
      List<String> problems = new ArrayList<>();
      for (JsonNode alternative : schema.get("anyOf")) {
        String problem = mismatch(root, alternative, value, path);
        if (problem == null) {
          return null;
        }
        problems.add(SchemaText.of(alternative));
      }
      return at(path) + "must be " + String.join(" or ", problems) + ", not " + shown(value);
    }
    if (schema.has("enum")) {
      for (JsonNode allowed : schema.get("enum")) {
        if (allowed.equals(value)) {
          return null;
        }
      }
      return at(path) + "must be one of " + schema.get("enum") + ", not " + shown(value);
    }
    if (!schema.has("type")) {
      return null; // any value
    }
    String type = schema.get("type").asText();
    if (!fits(type, value)) {
      return at(path) + "must be " + article(SchemaText.of(schema)) + ", not " + shown(value);
    }
    switch (type) {
      case "string" -> {
        int length = value.asText().codePointCount(0, value.asText().length());
        if (schema.has("minLength") && length < schema.get("minLength").asInt()
            || schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
          return at(path) + "must have " + schema.path("minLength").asInt(0) + " to " + schema.path("maxLength").asText("any")
              + " characters, not " + length;
        }
      }
      case "array" -> {
        for (int i = 0; i < value.size(); i++) {
          String problem = mismatch(root, schema.get("items"), value.get(i), path + "[" + i + "]");
          if (problem != null) {
            return problem;
          }
        }
      }
      case "object" -> {
        return object(root, schema, value, path);
      }
      default -> { }
    }
    return null;
  }

  private static String object(JsonNode root, JsonNode schema, JsonNode value, String path) {
    if (schema.has("additionalProperties")) {
      for (Map.Entry<String, JsonNode> field : value.properties()) {
        String problem = mismatch(root, schema.get("additionalProperties"), field.getValue(), path + "." + field.getKey());
        if (problem != null) {
          return problem;
        }
      }
      return null;
    }
    for (JsonNode required : schema.path("required")) {
      JsonNode present = value.get(required.asText());
      if (present == null || present.isNull()) {
        return at(path + "." + required.asText()) + "is required";
      }
    }
    for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
      JsonNode present = value.get(property.getKey());
      if (present != null) {
        String problem = mismatch(root, property.getValue(), present, path + "." + property.getKey());
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  private static boolean fits(String type, JsonNode value) {
    return switch (type) {
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "string" -> value.isTextual();
      case "boolean" -> value.isBoolean();
      case "array" -> value.isArray();
      case "object" -> value.isObject();
      case "null" -> value.isNull();
      default -> true; // a type this version does not know: the server decides
    };
  }

  private static String at(String path) {
    return path.isEmpty() ? "" : "at " + path.substring(path.startsWith(".") ? 1 : 0) + " ";
  }

  private static String article(String noun) {
    return (noun.matches("(?i)^[aeiou].*") ? "an " : "a ") + noun;
  }

  /** The value, shortened, with its JSON kind: {@code the string "30"}. */
  static String shown(JsonNode value) {
    String text = value.toString();
    if (text.length() > 40) {
      text = text.substring(0, 40) + "…";
    }
    String kind = switch (value.getNodeType()) {
      case STRING -> "the string ";
      case NUMBER -> "the number ";
      case BOOLEAN -> "";
      case NULL -> "";
      case ARRAY -> "the array ";
      case OBJECT -> "the object ";
      default -> "";
    };
    return kind + text;
  }
}
