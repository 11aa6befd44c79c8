package dev.rabbitrpc.cli;

import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.runtime.ContractChanges;
import dev.rabbitrpc.test.ContractFile;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code contract diff OLD NEW}: the runtime's {@link ContractChanges} (rpc-test's ContractDiff rules) on two contract files, no broker. One run, one thread. */
@Command(name = "contract", mixinStandardHelpOptions = true, description = "Work with contract files (no broker).",
    subcommands = ContractCommand.Diff.class)
final class ContractCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give a subcommand: diff");
  }

  @Command(name = "diff", mixinStandardHelpOptions = true,
      description = {"The changes from OLD to NEW, each COMPATIBLE or BREAKING, as rpc-test's ContractDiff classifies"
          + " them (docs/guide/testing.md). Exit status 0 when none is breaking, 3 when one is.",
          "A contract file is what describe --json prints, or WriteContract writes."})
  static final class Diff implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OLD", description = "The contract of the last release.")
    Path old;

    @Parameters(index = "1", paramLabel = "NEW", description = "The contract now.")
    Path now;

    @Override
    public Integer call() {
      ServiceContract before = read(old);
      ServiceContract after = read(now);
      List<ContractChanges.Change> changes = ContractChanges.between(before, after);
      int breaking = ContractChanges.breaking(changes).size();
      PrintWriter out = spec.commandLine().getOut();
      changes.forEach(out::println);
      out.println(breaking + " breaking, " + (changes.size() - breaking) + " compatible change"
          + (changes.size() - breaking == 1 ? "" : "s") + " from " + old + " to " + now);
      return breaking == 0 ? ExitCodes.OK : ExitCodes.BREAKING;
    }

    private static ServiceContract read(Path file) {
      try {
        return ContractFile.read(file);
      } catch (UncheckedIOException e) {
        throw new Failure("FAILED", ExitCodes.FAILED, e.getMessage());
      }
    }
  }
}
