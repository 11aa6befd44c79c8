package dev.rabbitrpc.test.contract;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.test.ContractAssertions;
import dev.rabbitrpc.test.ContractDiff;
import dev.rabbitrpc.test.ContractFile;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * {@link ContractAssertions} against a contract file checked in as a test resource
 * ({@code contracts/inventory-1.0.json}, written by {@code WriteContract} from {@link Inventory}).
 */
class ContractAssertionsTest {

  public record Item(String sku, int count) {}

  /** The interface of release 1.0, as recorded in the resource. */
  @RpcService(queue = "inventory")
  public interface Inventory {
    Item get(String sku);

    void put(Item item);
  }

  /** A compatible next version: a method added. */
  @RpcService(queue = "inventory")
  public interface InventoryWithCount {
    Item get(String sku);

    void put(Item item);

    int size();
  }

  /** A breaking next version: a parameter added to one method, another removed. */
  @RpcService(queue = "inventory")
  public interface InventoryBroken {
    Item get(String sku, String warehouse);
  }

  private static Path lastRelease() throws URISyntaxException {
    return Path.of(ContractAssertionsTest.class.getResource("/contracts/inventory-1.0.json").toURI());
  }

  @Test
  void theRecordedFileIsTheContractOfItsInterface() throws URISyntaxException {
    assertEquals(List.of(), ContractDiff.between(ContractFile.read(lastRelease()), ServiceContract.of(Inventory.class)));
    assertDoesNotThrow(() -> ContractAssertions.assertCompatible(lastRelease(), Inventory.class));
  }

  @Test
  void aCompatibleChangePasses() {
    assertDoesNotThrow(() -> ContractAssertions.assertCompatible(lastRelease(), InventoryWithCount.class));
  }

  @Test
  void aBreakingChangeFailsListingEveryBreakingChangeOnePerLine() throws URISyntaxException {
    AssertionFailedError failure = assertThrows(AssertionFailedError.class,
        () -> ContractAssertions.assertCompatible(lastRelease(), InventoryBroken.class));
    List<String> lines = failure.getMessage().lines().toList();
    assertEquals(List.of(
        InventoryBroken.class.getName() + " has 2 breaking changes since " + lastRelease() + ":",
        "BREAKING get: parameter warehouse added: old clients send 1 arguments and a server refuses a call whose argument"
            + " count is not its own",
        "BREAKING put: removed or renamed: old clients calling it get UNKNOWN_METHOD"), lines);
  }

  @Test
  void twoContractsInMemoryAreComparedToo() {
    ServiceContract old = ServiceContract.of(Inventory.class);
    assertDoesNotThrow(() -> ContractAssertions.assertCompatible(old, ServiceContract.of(InventoryWithCount.class)));
    AssertionFailedError failure = assertThrows(AssertionFailedError.class,
        () -> ContractAssertions.assertCompatible(old, ServiceContract.of(InventoryBroken.class)));
    assertEquals(3, failure.getMessage().lines().count(), failure.getMessage());
  }
}
