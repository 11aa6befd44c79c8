package dev.rabbitrpc.cli;

import dev.rabbitrpc.runtime.ServiceContract;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A contract as {@code describe} prints it for people: the service and its server, then each
 * method as a signature ({@code fib(n: integer) -> integer}) with its timeout, flags and declared
 * exceptions, then the records the schemas define.
 *
 * <p>Stateless.
 */
final class ContractText {
  private ContractText() {}

  static String of(ServiceContract contract) {
    StringBuilder text = new StringBuilder();
    text.append(contract.service()).append(" on ")
        .append(contract.shards() == 1 ? "queue " + contract.queue()
            : contract.shards() + " shard queues " + String.join(", ", contract.queues()))
        .append('\n');
    text.append("server: ").append(contract.library()).append(", protocol ").append(contract.protocol())
        .append("; reads ").append(String.join(", ", contract.encodings()))
        .append(contract.plainText() ? " and plain text" : "").append('\n');
    Set<String> records = new LinkedHashSet<>();
    for (ServiceContract.Method method : contract.methods()) {
      text.append('\n').append(signature(method)).append('\n');
      List<String> details = new ArrayList<>();
      details.add("timeout " + method.timeoutMillis() + " ms");
      if (method.oneWay()) {
        details.add("one-way");
      }
      if (method.streaming()) {
        details.add("streaming (result: one item), idle timeout " + method.idleMillis() + " ms");
      }
      if (method.idempotent()) {
        details.add("idempotent");
      }
      if (method.deduplicated()) {
        details.add("deduplicated (replies kept " + method.retentionMillis() + " ms, call key "
            + (method.callKey() == null ? "fresh per call" : "parameter " + method.callKey()) + ")");
      }
      if (method.plainText()) {
        details.add("plain text");
      }
      if (method.shardKey() != null) {
        details.add("shard key " + method.shardKey());
      }
      if (!method.javaName().equals(method.wireName())) {
        details.add("Java name " + method.javaName());
      }
      text.append("    ").append(String.join(", ", details)).append('\n');
      if (!method.exceptions().isEmpty()) {
        text.append("    throws ").append(String.join(", ", method.exceptions())).append('\n');
      }
      method.parameters().forEach(parameter -> records.addAll(SchemaText.records(parameter.schema())));
      records.addAll(SchemaText.records(method.result()));
    }
    if (!records.isEmpty()) {
      text.append("\nrecords:\n");
      records.forEach(record -> text.append("  ").append(record).append('\n'));
    }
    return text.toString();
  }

  /** {@code fib(n: integer) -> integer}; {@code -> nothing} for a method without a result. */
  static String signature(ServiceContract.Method method) {
    List<String> parameters = new ArrayList<>();
    method.parameters().forEach(parameter -> parameters.add(parameter.name() + ": " + SchemaText.of(parameter.schema())));
    String result = "null".equals(method.result() == null ? null : method.result().path("type").asText()) ? "nothing"
        : SchemaText.of(method.result());
    return method.wireName() + "(" + String.join(", ", parameters) + ") -> " + result;
  }
}
