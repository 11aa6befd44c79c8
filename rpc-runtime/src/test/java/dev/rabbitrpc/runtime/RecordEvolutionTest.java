package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the strict codec does when two versions of a record meet: the facts rpc-test's contract
 * check (ContractDiff, docs/guide/testing.md "Catching breaking changes") classifies by.
 */
class RecordEvolutionTest {
  private final ObjectMapper mapper = Codec.json().mapper();

  record V1(String name) {}

  record WithInt(String name, int count) {}

  record WithInteger(String name, Integer count) {}

  record WithOptional(String name, Optional<String> note) {}

  @Test
  void aPrimitiveComponentMissingFromTheJsonFailsToDecode() {
    String old = "{\"name\":\"a\"}";
    MismatchedInputException failure = assertThrows(MismatchedInputException.class, () -> mapper.readValue(old, WithInt.class));
    assertEquals("count", failure.getPath().get(0).getFieldName(), failure.getMessage());
  }

  @Test
  void aReferenceComponentMissingFromTheJsonIsNullAndAnOptionalEmptyOrNull() throws Exception {
    assertNull(mapper.readValue("{\"name\":\"a\"}", WithInteger.class).count());
    Optional<String> note = mapper.readValue("{\"name\":\"a\"}", WithOptional.class).note();
    assertEquals(Optional.empty(), note == null ? Optional.empty() : note);
  }

  @Test
  void aComponentTheReaderDoesNotKnowIsIgnored() throws Exception {
    assertEquals(new V1("a"), mapper.readValue("{\"name\":\"a\",\"count\":3}", V1.class));
  }

  enum Color { RED }

  @Test
  void anIntegerIsReadIntoADoubleAndAnUnknownEnumNameIsRefused() throws Exception {
    assertEquals(3.0, mapper.readValue("3", double.class));
    assertThrows(MismatchedInputException.class, () -> mapper.readValue("\"GREEN\"", Color.class));
  }

  @Test
  void aListWithDuplicatesIsReadIntoASet() throws Exception {
    assertEquals(java.util.Set.of("a"), mapper.readValue("[\"a\",\"a\"]", new TypeReference<java.util.Set<String>>() {}));
  }

  interface Small {
    int size(String name);
  }

  @Test
  void theContractOfAnInterfaceIsMadeWithoutABroker() {
    ServiceContract contract = ServiceContract.of(Small.class);
    assertEquals(Small.class.getName(), contract.service());
    assertEquals("size", contract.methods().get(0).wireName());
    assertEquals("{\"type\":\"integer\"}", contract.methods().get(0).result().toString());
    assertEquals(Duration.ofSeconds(30).toMillis(), contract.methods().get(0).timeoutMillis());
  }
}
