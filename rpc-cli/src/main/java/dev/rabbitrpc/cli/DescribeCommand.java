package dev.rabbitrpc.cli;

import dev.rabbitrpc.runtime.ServiceContract;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code describe QUEUE [--json]}: the contract of the service on a queue. One run, one thread. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = "The contract of the service on QUEUE: methods with their parameters and result types, flags,"
        + " timeouts and declared exceptions (rpc.describe).")
final class DescribeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  Main main;

  @Parameters(index = "0", paramLabel = "QUEUE", description = "The service's queue (a shard queue of a sharded service).")
  String queue;

  @Option(names = "--json", description = "Print the contract as JSON, as ContractFile writes it (for contract diff).")
  boolean json;

  @Override
  public Integer call() {
    try (BrokerOptions.Session session = main.broker.connect()) {
      ServiceContract contract = session.describe(queue);
      spec.commandLine().getOut().print(json ? Json.indented(contract) + System.lineSeparator() : ContractText.of(contract));
    }
    return ExitCodes.OK;
  }
}
