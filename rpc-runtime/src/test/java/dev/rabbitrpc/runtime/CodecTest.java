package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict JSON codec on its own. */
class CodecTest {
  private final ObjectMapper mapper = Codec.json().mapper();

  record Item(String name, int count) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
  interface Polymorphic {}

  record Holder(Polymorphic value) {}

  @ParameterizedTest
  @ValueSource(strings = {"\"5\"", "1.7", "5.0", "null", "true", "\"\"", "3000000000"})
  void rejectsAnythingButAnIntegerForAnInt(String json) {
    assertThrows(JsonProcessingException.class, () -> mapper.readValue(json, int.class));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "1.5", "true"})
  void rejectsScalarsOtherThanStringsForAString(String json) {
    assertThrows(JsonMappingException.class, () -> mapper.readValue(json, String.class));
  }

  @Test
  void rejectsStringsAndNumbersForABoolean() {
    assertThrows(JsonMappingException.class, () -> mapper.readValue("\"true\"", boolean.class));
    assertThrows(JsonMappingException.class, () -> mapper.readValue("1", boolean.class));
  }

  record Blob(byte[] data) {}

  /** byte[] from JSON: read by the codec's own base64 reader, with the outcome of Jackson's, value for value. */
  @ParameterizedTest
  @ValueSource(strings = {"\"\"", "\"AQID\"", "\"AQI=\"", "\"AQI\"", "\"not base64!\"", "\"AQ ID\"", "[1,2,3]", "null", "5",
      "{}", "\"A\"", "LONG"})
  void readsByteArraysAsJacksonDoes(String json) throws Exception {
    if (json.equals("LONG")) {
      byte[] big = new byte[100_003];
      new java.util.Random(7).nextBytes(big);
      json = "\"" + java.util.Base64.getEncoder().encodeToString(big) + "\"";
    }
    ObjectMapper plain = com.fasterxml.jackson.databind.json.JsonMapper.builder().build();
    String field = "{\"data\":" + json + "}";
    for (String input : List.of(json, field)) {
      Class<?> type = input == field ? Blob.class : byte[].class;
      Object expected;
      try {
        expected = plain.readValue(input, type);
      } catch (JsonProcessingException e) {
        assertThrows(JsonProcessingException.class, () -> mapper.readValue(input, type), input);
        continue;
      }
      Object read = mapper.readValue(input, type);
      byte[] want = expected instanceof Blob blob ? blob.data() : (byte[]) expected;
      byte[] got = read instanceof Blob blob ? blob.data() : (byte[]) read;
      org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, input.length() > 80 ? input.substring(0, 80) : input);
    }
  }

  /** From CBOR (a byte string, or base64 text where bytes belong) and from a tree, Jackson's own reader reads them. */
  @Test
  void readsByteArraysFromCborAndTreesAsJacksonDoes() throws Exception {
    ObjectMapper cbor = Codec.json().mapper(WireFormat.CBOR);
    byte[] data = {1, 2, 3};
    assertArrayEqualsBytes(data, cbor.readValue(cbor.writeValueAsBytes(new Blob(data)), Blob.class).data());
    byte[] textForBytes = cbor.writeValueAsBytes(java.util.Map.of("data", "AQID"));
    ObjectMapper plainCbor = new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper();
    Object expected;
    try {
      expected = plainCbor.readValue(textForBytes, Blob.class).data();
    } catch (JsonProcessingException e) {
      expected = e.getClass();
    }
    Object read;
    try {
      read = cbor.readValue(textForBytes, Blob.class).data();
    } catch (JsonProcessingException e) {
      read = e.getClass();
    }
    if (expected instanceof byte[] bytes) {
      assertArrayEqualsBytes(bytes, (byte[]) read);
    } else {
      assertEquals(expected, read, "the same refusal as Jackson's");
    }
    assertArrayEqualsBytes(data, mapper.treeToValue(mapper.readTree("{\"data\":\"AQID\"}"), Blob.class).data());
  }

  private static void assertArrayEqualsBytes(byte[] expected, byte[] actual) {
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
  }

  @Test
  void acceptsIntegersForALongAndADouble() throws Exception {
    assertEquals(5L, mapper.readValue("5", long.class));
    assertEquals(5.0, mapper.readValue("5", double.class));
  }

  @Test
  void ignoresUnknownPropertiesSoVersionsInteroperate() throws Exception {
    assertEquals(new Item("a", 2), mapper.readValue("{\"name\":\"a\",\"count\":2,\"added\":[1,2]}", Item.class));
  }

  @Test
  void rejectsTrailingTokens() {
    assertThrows(JsonMappingException.class, () -> mapper.readValue("{\"name\":\"a\",\"count\":2} {}", Item.class));
  }

  @Test
  void rejectsNestingDeeperThanTheLimit() {
    String deep = "[".repeat(Codec.MAX_NESTING_DEPTH + 1) + "]".repeat(Codec.MAX_NESTING_DEPTH + 1);
    assertThrows(StreamConstraintsException.class, () -> mapper.readTree(deep));
  }

  @Test
  void refusesClassNamesFromTheWireEvenWhenATypeAsksForThem() {
    String json = "{\"value\":{\"@class\":\"java.util.ArrayList\"}}";
    assertThrows(InvalidTypeIdException.class, () -> mapper.readValue(json, Holder.class));
  }

  @Test
  void carriesOptionalsAndJavaTimeAsIsoStrings() throws Exception {
    assertEquals("\"2026-11-25T10:15:30Z\"", mapper.writeValueAsString(Instant.parse("2026-11-25T10:15:30Z")));
    assertEquals(Instant.parse("2026-11-25T10:15:30Z"), mapper.readValue("\"2026-11-25T10:15:30Z\"", Instant.class));
    assertEquals("[\"a\",null]", mapper.writeValueAsString(List.of(Optional.of("a"), Optional.empty())));
  }

  @Test
  void addsUserModulesButKeepsTheStrictSettings() {
    Codec custom = Codec.json(new com.fasterxml.jackson.databind.module.SimpleModule("extra"));
    assertThrows(JsonMappingException.class, () -> custom.mapper().readValue("\"5\"", int.class));
  }
}
