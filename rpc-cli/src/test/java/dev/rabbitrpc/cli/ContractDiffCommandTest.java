package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.test.ContractFile;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code contract diff}, usage errors and the exit status table: the CLI without a broker. */
class ContractDiffCommandTest {
  @RpcService(queue = "fib")
  interface V1 {
    int fib(int n);
  }

  @RpcService(queue = "fib")
  interface V2Compatible {
    int fib(int n);

    long fibLong(int n);
  }

  @RpcService(queue = "fib")
  interface V2Breaking {
    int fib(String n);
  }

  @TempDir
  Path dir;

  private Path write(String name, Class<?> service) {
    Path file = dir.resolve(name);
    ContractFile.write(ServiceContract.of(service), file);
    return file;
  }

  @Test
  void aCompatibleChangeExitsZeroAndListsIt() {
    Cli.Result result = Cli.run(null, "contract", "diff", write("v1.json", V1.class).toString(),
        write("v2.json", V2Compatible.class).toString());
    assertEquals(0, result.status(), result::toString);
    assertTrue(result.out().contains("COMPATIBLE fibLong: added: old clients do not call it\n"), result::toString);
    assertTrue(result.out().contains("\n0 breaking, "), result::toString);
  }

  @Test
  void aBreakingChangeExitsThreeAndNamesIt() {
    Cli.Result result = Cli.run(null, "contract", "diff", write("v1.json", V1.class).toString(),
        write("v2.json", V2Breaking.class).toString());
    assertEquals(ExitCodes.BREAKING, result.status(), result::toString);
    assertTrue(result.out().contains("BREAKING fib: parameter n: type integer became string"), result::toString);
    assertTrue(result.out().contains("\n1 breaking, "), result::toString);
  }

  @Test
  void aFileThatIsNotAContractIsOneLine() {
    Cli.Result result = Cli.run(null, "contract", "diff", dir.resolve("missing.json").toString(),
        write("v1.json", V1.class).toString());
    assertEquals(ExitCodes.FAILED, result.status(), result::toString);
    assertTrue(result.errorLine().startsWith("error: FAILED: cannot read the contract in "), result::toString);
  }

  @Test
  void usageErrorsAreOneLineAndStatusTwo() {
    for (String[] args : new String[][] {{}, {"nope"}, {"call", "q"}, {"bench", "q", "m", "--threads", "x"},
        {"call", "--timeout", "soon", "q", "m"}, {"contract"}, {"describe", "--json", "--asyncapi", "q"}}) {
      Cli.Result result = Cli.run(null, args);
      assertEquals(ExitCodes.USAGE, result.status(), result::toString);
      assertTrue(result.errorLine().startsWith("error: USAGE: "), result::toString);
    }
  }

  @Test
  void everyCodeHasItsOwnStatusApartFromTheCliOwn() {
    Set<Integer> statuses = new HashSet<>(Set.of(ExitCodes.OK, ExitCodes.FAILED, ExitCodes.USAGE, ExitCodes.BREAKING,
        ExitCodes.BROKER_UNREACHABLE));
    for (Code code : Code.values()) {
      assertTrue(statuses.add(ExitCodes.of(code)), code + "'s status is taken");
    }
  }
}
