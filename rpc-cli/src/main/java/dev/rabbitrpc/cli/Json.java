package dev.rabbitrpc.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's JSON: arguments read from the command line, results written compactly on one line,
 * contracts indented as rpc-test's {@code ContractFile} writes them (so {@code describe --json}
 * makes a file {@code contract diff} and {@code ContractAssertions} read).
 *
 * <p>Thread-safe (Jackson's mappers are, once configured).
 */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ObjectMapper INDENTED = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private Json() {}

  /**
   * The command line's arguments, each a JSON value.
   *
   * @throws Failure {@code INVALID_ARGUMENT} naming the argument that is not JSON
   */
  static List<JsonNode> arguments(List<String> texts) {
    List<JsonNode> values = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      try {
        JsonNode value = MAPPER.readTree(text);
        if (value == null || value.isMissingNode()) {
          throw new IllegalArgumentException("empty");
        }
        values.add(value);
      } catch (JsonProcessingException | IllegalArgumentException e) {
        throw Failure.of(Code.INVALID_ARGUMENT, "argument #" + (i + 1) + " is not a JSON value: " + text
            + " (each argument is JSON: 30, true, '\"text\"', '{\"a\":1}', '[1,2]')");
      }
    }
    return values;
  }

  static String compact(JsonNode value) {
    return value.toString();
  }

  static String indented(Object value) {
    try {
      return INDENTED.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
