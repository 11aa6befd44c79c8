package dev.rabbitrpc.cli;

import dev.rabbitrpc.runtime.AsyncApi;
import dev.rabbitrpc.runtime.ServiceContract;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code describe QUEUE [--json | --asyncapi]}: the contract of the service on a queue. One run, one thread. */
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

  @ArgGroup(exclusive = true)
  Format format = new Format();

  /** How the contract is printed: for people (neither option), or one of the two machine formats. */
  static final class Format {
    @Option(names = "--json", description = "Print the contract as JSON, as ContractFile writes it (for contract diff).")
    boolean json;

    @Option(names = "--asyncapi", description = "Print the contract as an AsyncAPI 3.0 document (JSON), with the broker"
        + " (without its credentials) as its server.")
    boolean asyncApi;
  }

  @Override
  public Integer call() {
    try (BrokerOptions.Session session = main.broker.connect()) {
      ServiceContract contract = session.describe(queue);
      String text = format.json ? Json.indented(contract) + System.lineSeparator()
          : format.asyncApi ? Json.indented(AsyncApi.document(contract, URI.create(main.broker.uri()))) + System.lineSeparator()
          : ContractText.of(contract);
      spec.commandLine().getOut().print(text);
    }
    return ExitCodes.OK;
  }
}
