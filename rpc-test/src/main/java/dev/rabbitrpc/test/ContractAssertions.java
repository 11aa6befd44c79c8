package dev.rabbitrpc.test;

import dev.rabbitrpc.runtime.ServiceContract;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.opentest4j.AssertionFailedError;

/**
 * Fails a test when a service interface has changed in a way peers of its last release cannot
 * follow, as {@code buf breaking} does for protobuf:
 *
 * <pre>{@code
 * @Test
 * void ordersStaysCompatibleWithTheLastRelease() {
 *   ContractAssertions.assertCompatible(Path.of("src/test/resources/contracts/Orders.json"), Orders.class);
 * }
 * }</pre>
 *
 * <p>The rules are {@link ContractDiff}'s (docs/guide/testing.md, "Catching breaking changes").
 * Stateless.
 */
public final class ContractAssertions {
  private ContractAssertions() {}

  /**
   * Passes if {@code service} now is compatible with the contract in {@code lastRelease}
   * (written by {@link WriteContract}).
   *
   * @throws AssertionFailedError listing every breaking change, one per line
   * @throws java.io.UncheckedIOException if the file cannot be read
   */
  public static void assertCompatible(Path lastRelease, Class<?> service) {
    check(ContractFile.read(lastRelease), ServiceContract.of(service), lastRelease.toString());
  }

  /**
   * Passes if {@code now} is compatible with {@code lastRelease}.
   *
   * @throws AssertionFailedError listing every breaking change, one per line
   */
  public static void assertCompatible(ServiceContract lastRelease, ServiceContract now) {
    check(lastRelease, now, "the last release");
  }

  private static void check(ServiceContract lastRelease, ServiceContract now, String since) {
    List<ContractDiff.Change> breaking = ContractDiff.breaking(ContractDiff.between(lastRelease, now));
    if (!breaking.isEmpty()) {
      throw new AssertionFailedError(now.service() + " has " + breaking.size() + " breaking change"
          + (breaking.size() == 1 ? "" : "s") + " since " + since + ":\n"
          + breaking.stream().map(ContractDiff.Change::toString).collect(Collectors.joining("\n")));
    }
  }
}
