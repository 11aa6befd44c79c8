package dev.rabbitrpc.test.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.runtime.AsyncApi;
import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.test.ContractDiff;
import dev.rabbitrpc.test.ContractFile;
import dev.rabbitrpc.test.WriteContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WriteContract} and {@link ContractFile}: what the main class writes reads back as the same contract; its AsyncAPI document. */
class WriteContractTest {

  @Test
  void theWrittenFileRoundTrips(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("contracts/inventory.json"); // its directory does not exist yet
    WriteContract.main(new String[] {ContractAssertionsTest.Inventory.class.getName(), out.toString()});
    ServiceContract read = ContractFile.read(out);
    ServiceContract made = ServiceContract.of(ContractAssertionsTest.Inventory.class);
    assertEquals(made, read);
    assertEquals(List.of(), ContractDiff.between(read, made));
    String text = Files.readString(out);
    assertTrue(text.contains("\n  \"service\" : \"" + ContractAssertionsTest.Inventory.class.getName() + "\""), text);
  }

  @Test
  void withAsyncApiItAlsoWritesTheAsyncApiDocument(@TempDir Path dir) throws Exception {
    Path contract = dir.resolve("inventory.json");
    Path document = dir.resolve("asyncapi/inventory.json"); // its directory does not exist yet
    WriteContract.main(new String[] {ContractAssertionsTest.Inventory.class.getName(), contract.toString(),
        "--asyncapi", document.toString()});
    assertEquals(ServiceContract.of(ContractAssertionsTest.Inventory.class), ContractFile.read(contract));
    JsonNode written = new ObjectMapper().readTree(document.toFile());
    assertEquals("3.0.0", written.get("asyncapi").asText());
    assertEquals(ContractAssertionsTest.Inventory.class.getName(), written.at("/info/title").asText());
    assertEquals("inventory", written.at("/channels/requests/address").asText());
    // As AsyncApi writes it: compared as read back, where every number is the smallest node that holds it.
    ObjectMapper mapper = new ObjectMapper();
    assertEquals(mapper.readTree(mapper.writeValueAsString(AsyncApi.document(ServiceContract.of(ContractAssertionsTest.Inventory.class)))),
        written);
  }

  @Test
  void aClassNotOnTheClassPathIsAnIllegalArgument(@TempDir Path dir) {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> WriteContract.write("com.example.NoSuchService", dir.resolve("x.json")));
    assertEquals("no class com.example.NoSuchService on the class path", failure.getMessage());
    assertTrue(Files.notExists(dir.resolve("x.json")));
  }

  @Test
  void aClassThatIsNotAServiceIsAnIllegalArgument(@TempDir Path dir) {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> WriteContract.write(String.class.getName(), dir.resolve("x.json")));
    assertTrue(failure.getMessage().contains("not an interface"), failure.getMessage());
  }
}
