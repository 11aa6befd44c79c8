package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbitrpc.runtime.ServiceContract;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ArgumentCheck} on the schemas the runtime writes for {@link Shapes} and a few of other peers, no broker. */
class ArgumentCheckTest {
  private static final ServiceContract SHAPES = ServiceContract.of(Shapes.class);

  private static String refusal(String method, String... args) {
    Failure failure = assertThrows(Failure.class, () -> check(method, args));
    assertEquals(13, failure.status());
    return failure.getMessage();
  }

  private static void check(String method, String... args) {
    ArgumentCheck.check(SHAPES.method(method), Json.arguments(List.of(args)));
  }

  @Test
  void acceptsWhatFitsItsSchema() {
    check("move", "{\"x\":1,\"y\":2}", "3");
    check("move", "{\"x\":1,\"y\":2,\"z\":9}", "3"); // unknown properties: ignored by the server
    check("move", "{\"x\":1}", "3"); // a missing component: the server decides (null, or refused if primitive)
    check("index", "[]");
    check("paint", "{\"text\":\"a\",\"color\":null}", "\"RED\"");
    check("paint", "{\"text\":\"a\",\"color\":\"GREEN\"}", "\"RED\"");
    check("reset");
  }

  @Test
  void refusesTheWrongCount() {
    assertEquals("reset takes 0 arguments, not 1", refusal("reset", "1"));
    assertEquals("points takes 1 argument (n: integer), not 2", refusal("points", "1", "2"));
  }

  @Test
  void refusesAWrongTypeAnywhereNamingWhere() {
    assertEquals("points: argument #1 (n) must be an integer, not the number 1.5", refusal("points", "1.5"));
    assertEquals("points: argument #1 (n) must be an integer, not null", refusal("points", "null"));
    assertEquals("move: argument #1 (point) must be a Point, not the array [1,2]", refusal("move", "[1,2]", "1"));
    assertEquals("paint: argument #1 (label) at color must be \"RED\"|\"GREEN\" or null, not the string \"BLUE\"",
        refusal("paint", "{\"text\":\"a\",\"color\":\"BLUE\"}", "\"RED\""));
    assertEquals("index: argument #1 (points) at [0].y must be an integer, not true",
        refusal("index", "[{\"x\":1,\"y\":true}]"));
  }

  @Test
  void requiredPropertiesOfOtherPeersSchemasMustBePresent() throws Exception {
    JsonNode schema = Json.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
        + "\"required\":[\"id\"]}");
    ServiceContract.Method method = new ServiceContract.Method("get", "get",
        List.of(new ServiceContract.Parameter("key", schema)), Json.MAPPER.readTree("{}"), List.of(), false, false, false,
        1000, null, false, 0L, false, null, 0L);
    Failure failure = assertThrows(Failure.class, () -> ArgumentCheck.check(method, Json.arguments(List.of("{}"))));
    assertEquals("get: argument #1 (key) at id is required", failure.getMessage());
    ArgumentCheck.check(method, Json.arguments(List.of("{\"id\":\"a\"}")));
  }

  @Test
  void anArgumentThatIsNotJsonIsNamed() {
    Failure failure = assertThrows(Failure.class, () -> Json.arguments(List.of("1", "abc")));
    assertEquals(13, failure.status());
    assertEquals("error: INVALID_ARGUMENT: argument #2 is not a JSON value: abc (each argument is JSON: 30, true,"
        + " '\"text\"', '{\"a\":1}', '[1,2]')", failure.line());
  }
}
