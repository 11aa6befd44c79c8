package dev.rabbitrpc.test;

import dev.rabbitrpc.runtime.ContractChanges;
import dev.rabbitrpc.runtime.ServiceContract;
import java.util.List;
import java.util.Objects;

/**
 * The changes between two versions of a service's contract ({@link ServiceContract}), each
 * classified: what {@code buf breaking} does for protobuf. The rules and the reason for each are in
 * docs/guide/testing.md, "Catching breaking changes"; they live in the runtime's
 * {@link ContractChanges}, which {@code RpcClient.verify} applies at run time, and this class
 * returns its findings as rpc-test's values.
 *
 * <p>Stateless; {@link #between} is the entry point.
 */
public final class ContractDiff {
  private ContractDiff() {}

  /** How a change affects peers of the other version. */
  public enum Kind {
    /** Peers of either version keep working. */
    COMPATIBLE,
    /** Some call between the versions fails, or means something else. */
    BREAKING
  }

  /**
   * One change.
   *
   * @param kind compatible or breaking
   * @param method the wire name of the method it concerns, or null for the service as a whole
   * @param change what changed and why it is classified so
   */
  public record Change(Kind kind, String method, String change) {
    public Change {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(change, "change");
    }

    /** For example {@code BREAKING fib: parameter n: type integer became string}. */
    @Override
    public String toString() {
      return kind + " " + (method == null ? "service" : method) + ": " + change;
    }
  }

  /** Every change from {@code old} to {@code now}, the service's first, then method by method in wire-name order. */
  public static List<Change> between(ServiceContract old, ServiceContract now) {
    return ContractChanges.between(old, now).stream()
        .map(change -> new Change(Kind.valueOf(change.kind().name()), change.method(), change.change()))
        .toList();
  }

  /** Only the breaking changes of {@code changes}. */
  public static List<Change> breaking(List<Change> changes) {
    return changes.stream().filter(change -> change.kind() == Kind.BREAKING).toList();
  }
}
