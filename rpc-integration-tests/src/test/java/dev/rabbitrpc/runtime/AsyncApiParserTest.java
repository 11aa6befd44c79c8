package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AsyncAPI documents of real services, checked by the AsyncAPI parser itself
 * ({@code @asyncapi/parser}, run with Node.js by tools/asyncapi-check/check.js): no diagnostic of
 * severity error. The services are the suite's own: a plain one, one with records and declared
 * exceptions that streams, a sharded one with a shard key, one with one-way methods.
 *
 * <p>Needs {@code node} and the checker's packages ({@code npm ci} in tools/asyncapi-check, which
 * .ci/run does): skipped, saying so, without them, except in CI ({@code CI=true}), where it fails.
 */
class AsyncApiParserTest {
  private static final Path CHECKER = Path.of(System.getProperty("basedir", "."), "..", "tools", "asyncapi-check")
      .toAbsolutePath().normalize();
  private static final long CHECK_SECONDS = 120;

  @Test
  void theParserFindsNoErrorInTheDocumentsOfTheSuitesServices(@TempDir Path dir) throws Exception {
    List<Path> files = new ArrayList<>();
    for (Class<?> service : List.of(Ledger.class, StreamingIT.Catalog.class, ShardedServiceIT.Accounts.class,
        OneWayIT.Audit.class, DescribeIT.Ledger.class, ReplayIT.Orders.class)) {
      // The plain one with its broker as the document's server; the others without.
      URI broker = service == Ledger.class ? URI.create("amqp://guest:guest@localhost:5672/") : null;
      files.add(write(dir.resolve(files.size() + "-" + service.getSimpleName() + ".json"),
          AsyncApi.document(ServiceContract.of(service), broker)));
    }
    Checked checked = check(dir, files);
    System.out.print(checked.report()); // the warnings and information, for whoever reads the test's output
    assertEquals(0, checked.status(), checked::report);
    assertFalse(checked.report().lines().anyMatch(line -> line.contains(": error ")), checked::report);
    assertEquals(files.size(), checked.report().lines().filter(line -> line.contains(": valid, ")).count(), checked::report);
  }

  @Test
  void theCheckerFailsADocumentWithAnError(@TempDir Path dir) throws Exception {
    // So that the test above cannot pass by a checker that reports nothing: a reference that does not resolve.
    ObjectNode document = AsyncApi.document(ServiceContract.of(OneWayIT.Audit.class));
    ((ObjectNode) document.at("/operations/echo")).putArray("messages").addObject()
        .put("$ref", "#/channels/requests/messages/nothing");
    Checked checked = check(dir, List.of(write(dir.resolve("broken.json"), document)));
    assertEquals(1, checked.status(), checked::report);
    assertTrue(checked.report().contains("error invalid-ref: '#/channels/requests/messages/nothing' does not exist"),
        checked::report);
  }

  private record Checked(int status, String report) {}

  private static Path write(Path file, ObjectNode document) throws IOException {
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), document);
    return file;
  }

  /** Runs the checker on {@code files}, waiting at most {@link #CHECK_SECONDS}. */
  private static Checked check(Path dir, List<Path> files) throws Exception {
    String node = nodeOrSkip();
    List<String> command = new ArrayList<>(List.of(node, CHECKER.resolve("check.js").toString()));
    files.forEach(file -> command.add(file.toString()));
    Path output = Files.createTempFile(dir, "check", ".out");
    Process check = new ProcessBuilder(command).directory(CHECKER.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    if (!check.waitFor(CHECK_SECONDS, TimeUnit.SECONDS)) {
      check.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail("the AsyncAPI parser did not finish within " + CHECK_SECONDS + " s: " + Files.readString(output));
    }
    return new Checked(check.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  /** The {@code node} to run the checker with; the test is skipped (failed in CI) without it or its packages. */
  private static String nodeOrSkip() throws InterruptedException {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    String missing = null;
    if (!Files.isDirectory(CHECKER.resolve("node_modules").resolve("@asyncapi").resolve("parser"))) {
      missing = "the AsyncAPI parser is not installed: run `npm ci` in " + CHECKER + " (.ci/run does)";
    } else if (!nodeRuns()) {
      missing = "Node.js (`node`) is not on the PATH";
    }
    if (missing != null) {
      if (ci) {
        fail(missing + "; CI must provide it");
      }
      Assumptions.assumeTrue(false, missing);
    }
    return "node";
  }

  private static boolean nodeRuns() throws InterruptedException {
    try {
      Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!version.waitFor(30, TimeUnit.SECONDS)) {
        version.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return false;
      }
      return version.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
