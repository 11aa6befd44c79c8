package dev.rabbitrpc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code call QUEUE METHOD [ARGS…]}: one call, its result as JSON on stdout. The method and its
 * arguments are checked against the described contract first ({@link ArgumentCheck}); then the
 * call goes through {@code RpcClient.callJson}. {@code --plain} speaks the tutorial's plain text
 * instead, through an ordinary proxy of {@link PlainCall}. One run, one thread.
 */
@Command(name = "call", mixinStandardHelpOptions = true,
    description = {"Calls METHOD of the service on QUEUE and prints its result as JSON.",
        "Each ARG is a JSON value: 30, true, '\"text\"', '{\"a\":1}', '[1,2]'. They are checked against the method's"
            + " described schemas before anything is sent."})
final class CallCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  Main main;

  @Parameters(index = "0", paramLabel = "QUEUE", description = "The service's queue.")
  String queue;

  @Parameters(index = "1", paramLabel = "METHOD", description = "The method's wire name (as describe lists it).")
  String method;

  @Parameters(index = "2..*", paramLabel = "ARG", description = "The arguments, one JSON value each.")
  List<String> args = new ArrayList<>();

  @Option(names = "--plain", description = {"Speak the RPC tutorial's plain text: the body is ARG's text as given,"
      + " the reply is printed as text; no describe, no JSON. METHOD is not sent (the tutorial has no method names).",
      "For RabbitMQ's tutorial 6 server: rabbit-rpc call --plain rpc_queue fib 30"})
  boolean plain;

  @Option(names = "--no-check", description = "Send without asking the server's contract first (a server with"
      + " describable(false)); the server still refuses arguments that do not fit.")
  boolean noCheck;

  /** The tutorial's protocol as a service of one method: a text in, a text out (docs/PROTOCOL.md, "Plain-text mode"). */
  @RpcService(plainText = true)
  interface PlainCall {
    String call(String body);
  }

  @Override
  public Integer call() {
    if (plain && args.size() != 1) {
      throw Failure.of(Code.INVALID_ARGUMENT, "--plain sends one argument, its text as the body; got " + args.size());
    }
    List<JsonNode> values = plain ? List.of() : Json.arguments(args);
    try (BrokerOptions.Session session = main.broker.connect()) {
      String output;
      if (plain) {
        PlainCall proxy = session.client.proxy(PlainCall.class, queue);
        output = session.call(() -> proxy.call(args.get(0)));
      } else {
        if (!noCheck) {
          ArgumentCheck.check(session.describe(queue), queue, method, values);
        }
        JsonNode result = session.call(() -> session.client.callJson(queue, method, Json.MAPPER.valueToTree(values),
            main.broker.timeout));
        output = Json.compact(result);
      }
      spec.commandLine().getOut().println(output);
    }
    return ExitCodes.OK;
  }
}
