package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The changes between two versions of a service's contract ({@link ServiceContract}), each
 * classified: what {@code buf breaking} does for protobuf. Old clients must still be able to call a
 * new server, and clients built from the new interface must be understood by a server of the old
 * one while both are deployed; the rules and the reason for each are in docs/guide/testing.md,
 * "Catching breaking changes".
 *
 * <p>Arguments are checked as the old side writes them and the new side reads them; results as
 * the new side writes them and the old side reads them. Schemas are compared structurally
 * ({@code type}, {@code items}, {@code properties}, {@code additionalProperties}, {@code enum},
 * {@code anyOf}, {@code format}, {@code $ref} through {@code $defs}). Where the contract cannot tell,
 * the change is {@link Kind#BREAKING} with a reason starting "cannot prove compatible".
 *
 * <p>The one home of these rules: rpc-test's {@code ContractDiff} and {@code ContractAssertions}
 * (build time), {@link RpcClient#verify(Class)} (run time) and the {@code rabbit-rpc contract diff}
 * command all apply them.
 *
 * <p>Stateless and thread-safe; {@link #between} is the entry point.
 */
public final class ContractChanges {
  private ContractChanges() {}

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
    List<Change> changes = new ArrayList<>();
    if (!Objects.equals(old.queue(), now.queue())) {
      changes.add(new Change(Kind.BREAKING, null, "queue " + old.queue() + " became " + now.queue()
          + ": old clients send to a queue nobody consumes"));
    }
    if (old.shards() != now.shards()) {
      changes.add(new Change(Kind.BREAKING, null, "shards " + old.shards() + " became " + now.shards()
          + ": old clients route a call to a shard queue by the old count"));
    }
    for (ServiceContract.Method before : old.methods()) {
      ServiceContract.Method after = now.method(before.wireName());
      if (after == null) {
        changes.add(new Change(Kind.BREAKING, before.wireName(),
            "removed or renamed: old clients calling it get UNKNOWN_METHOD"));
      } else {
        method(before, after, changes);
      }
    }
    for (ServiceContract.Method after : now.methods()) {
      if (old.method(after.wireName()) == null) {
        changes.add(new Change(Kind.COMPATIBLE, after.wireName(), "added: old clients do not call it"));
      }
    }
    return List.copyOf(changes);
  }

  /** Only the breaking changes of {@code changes}. */
  public static List<Change> breaking(List<Change> changes) {
    return changes.stream().filter(change -> change.kind() == Kind.BREAKING).toList();
  }

  private static void method(ServiceContract.Method old, ServiceContract.Method now, List<Change> changes) {
    String name = old.wireName();
    int before = old.parameters().size();
    int after = now.parameters().size();
    if (after > before) {
      for (int i = before; i < after; i++) {
        changes.add(new Change(Kind.BREAKING, name, "parameter " + now.parameters().get(i).name()
            + " added: old clients send " + before + " arguments and a server refuses a call whose argument count is not its own"));
      }
    } else if (after < before) {
      for (int i = after; i < before; i++) {
        changes.add(new Change(Kind.BREAKING, name, "parameter " + old.parameters().get(i).name()
            + " removed: old clients send " + before + " arguments and a server refuses a call whose argument count is not its own"));
      }
    }
    for (int i = 0; i < Math.min(before, after); i++) {
      ServiceContract.Parameter was = old.parameters().get(i);
      ServiceContract.Parameter is = now.parameters().get(i);
      String where = "parameter " + was.name();
      if (!was.name().equals(is.name())) {
        changes.add(new Change(Kind.COMPATIBLE, name, where + " renamed " + is.name() + ": arguments travel by position"));
      }
      new Schemas(name, true, was.schema(), is.schema(), changes).compare(where);
    }
    new Schemas(name, false, now.result(), old.result(), changes).compare("result");
    for (String exception : old.exceptions()) {
      if (!now.exceptions().contains(exception)) {
        changes.add(new Change(Kind.BREAKING, name, "declared exception " + exception
            + " removed: old clients handle a failure of the method as that type, and the new interface no longer"
            + " promises it (what comes instead, another error or none, is not what they handle)"));
      }
    }
    for (String exception : now.exceptions()) {
      if (!old.exceptions().contains(exception)) {
        changes.add(new Change(Kind.COMPATIBLE, name, "declared exception " + exception
            + " added: an old client cannot rebuild it and gets the RpcException (APPLICATION_ERROR) naming it, as for any failure it does not declare"));
      }
    }
    if (old.oneWay() != now.oneWay()) {
      changes.add(new Change(Kind.BREAKING, name, (now.oneWay() ? "became one-way: old clients wait for a reply that never comes"
          : "is no longer one-way: old clients send it without reply_to and never see its result or failure")));
    }
    if (old.idempotent() && !now.idempotent()) {
      changes.add(new Change(Kind.BREAKING, name,
          "no longer idempotent: old clients still retry it after UNAVAILABLE, so it may run twice"));
    } else if (!old.idempotent() && now.idempotent()) {
      changes.add(new Change(Kind.COMPATIBLE, name, "became idempotent: old clients only retry it less"));
    }
    if (old.deduplicated() && !now.deduplicated()) {
      changes.add(new Change(Kind.BREAKING, name, "no longer deduplicated: old clients still retry it after UNAVAILABLE,"
          + " and the server no longer replays the first run's reply, so it may run twice"));
    } else if (!old.deduplicated() && now.deduplicated()) {
      changes.add(new Change(Kind.COMPATIBLE, name, "became deduplicated: old clients send no call key, so their calls run"
          + " as before (never retried, never replayed)"));
    }
    if (old.streaming() != now.streaming()) {
      changes.add(new Change(Kind.BREAKING, name, (now.streaming()
          ? "became streaming: old clients send a request without rpc-stream-window, which the server refuses (PROTOCOL)"
          : "is no longer streaming: old clients wait for items and an end marker, and take the one reply for a stream of no items")));
    }
    if (old.plainText() != now.plainText()) {
      changes.add(new Change(Kind.BREAKING, name, "plainText " + old.plainText() + " became " + now.plainText()
          + ": old clients send its calls in the other format"));
    }
    if (!Objects.equals(old.shardKey(), now.shardKey())) {
      changes.add(new Change(Kind.BREAKING, name, "shard key " + old.shardKey() + " became " + now.shardKey()
          + ": old and new clients send the same call to different shards"));
    }
    if (old.timeoutMillis() != now.timeoutMillis()) {
      changes.add(new Change(Kind.COMPATIBLE, name, "timeout " + old.timeoutMillis() + " ms became " + now.timeoutMillis()
          + " ms: each client keeps the deadline of its own interface"));
    }
  }

  /**
   * Whether every value one side writes with schema {@code writes} is read by the other side with
   * schema {@code reads}: one comparison, recording each difference it finds.
   */
  private static final class Schemas {
    private final String method;
    /** Arguments: the old side writes, the new reads; results the other way round. */
    private final boolean writerIsOld;
    private final String writer;
    private final String reader;
    private final JsonNode writerRoot;
    private final JsonNode readerRoot;
    private final List<Change> changes;
    /** Pairs of $refs being compared: a recursive type is compared once. */
    private final Set<String> seen = new HashSet<>();

    Schemas(String method, boolean writerIsOld, JsonNode writes, JsonNode reads, List<Change> changes) {
      this.method = method;
      this.writerIsOld = writerIsOld;
      this.writer = writerIsOld ? "an old client" : "the new server";
      this.reader = writerIsOld ? "the new server" : "an old client";
      this.writerRoot = writes;
      this.readerRoot = reads;
      this.changes = changes;
    }

    void compare(String where) {
      if (missing(writerRoot) || missing(readerRoot)) {
        breaking(where, "cannot prove compatible: the " + (missing(writerRoot) == writerIsOld ? "old" : "new")
            + " contract has no schema for it");
        return;
      }
      compare(where, writerRoot, readerRoot);
    }

    private static boolean missing(JsonNode schema) {
      return schema == null || !schema.isObject();
    }

    /** "{old} became {new}", whichever side writes. */
    private String became(String writes, String reads) {
      return writerIsOld ? writes + " became " + reads : reads + " became " + writes;
    }

    private void breaking(String path, String why) {
      changes.add(new Change(Kind.BREAKING, method, path + ": " + why));
    }

    private void compatible(String path, String why) {
      changes.add(new Change(Kind.COMPATIBLE, method, path + ": " + why));
    }

    private void compare(String path, JsonNode writes, JsonNode reads) {
      String wroteAs = describe(writes);
      String readAs = describe(reads);
      String writesRef = writes.path("$ref").asText(null);
      String readsRef = reads.path("$ref").asText(null);
      if (writesRef != null || readsRef != null) {
        if (!seen.add(writesRef + " " + readsRef)) {
          return;
        }
        writes = resolve(writerRoot, writes);
        reads = resolve(readerRoot, reads);
        if (writes == null || reads == null) {
          breaking(path, "cannot prove compatible: a $ref does not resolve in its schema's $defs");
          return;
        }
      }
      if (anyValue(reads)) {
        return;
      }
      if (anyValue(writes)) {
        breaking(path, "cannot prove compatible: " + writer + " may write any value (" + describe(writes) + ") and "
            + reader + " read " + describe(reads));
        return;
      }
      if ("null".equals(reads.path("type").asText())) {
        return; // a method without a result: its reader ignores the reply's body
      }
      List<JsonNode> written = alternatives(writes);
      List<JsonNode> read = alternatives(reads);
      if (written.size() > 1 || read.size() > 1) {
        List<String> unread = new ArrayList<>();
        for (JsonNode alternative : written) {
          if (read.stream().noneMatch(candidate -> quietlyReads(path, alternative, candidate))) {
            unread.add(describe(alternative));
          }
        }
        if (!unread.isEmpty()) {
          breaking(path, "type " + became(wroteAs, readAs) + ": " + writer + " may write "
              + String.join(" or ", unread) + ", which " + reader + " does not read");
        }
        return;
      }
      same(path, writes, reads, wroteAs, readAs);
    }

    /** Whether {@code reads} takes every value of {@code writes}, recording nothing but its compatible changes when it does. */
    private boolean quietlyReads(String path, JsonNode writes, JsonNode reads) {
      Schemas probe = new Schemas(method, writerIsOld, writerRoot, readerRoot, new ArrayList<>());
      probe.seen.addAll(seen);
      probe.compare(path, writes, reads);
      if (ContractChanges.breaking(probe.changes).isEmpty()) {
        changes.addAll(probe.changes);
        return true;
      }
      return false;
    }

    /** Two schemas of one alternative each. */
    private void same(String path, JsonNode writes, JsonNode reads, String wroteAs, String readAs) {
      if (writes.has("enum") || reads.has("enum")) {
        enums(path, writes, reads);
        return;
      }
      String wrote = writes.path("type").asText("");
      String reading = reads.path("type").asText("");
      if (!wrote.equals(reading) && !(wrote.equals("integer") && reading.equals("number"))) {
        breaking(path, "type " + became(wroteAs, readAs) + ": " + reader + " cannot read what "
            + writer + " writes");
        return;
      }
      for (String keyword : new String[] {"format", "contentEncoding", "minLength", "maxLength"}) {
        if (!Objects.equals(writes.get(keyword), reads.get(keyword))) {
          breaking(path, keyword + " " + became(writes.has(keyword) ? writes.get(keyword).toString() : "none",
              reads.has(keyword) ? reads.get(keyword).toString() : "none")
              + ": cannot prove compatible, the values differ in kind");
          return;
        }
      }
      switch (wrote) {
        case "array" -> compare(path + "[]", writes.path("items"), reads.path("items"));
        case "object" -> object(path, writes, reads);
        default -> { }
      }
    }

    private void enums(String path, JsonNode writes, JsonNode reads) {
      if (!reads.has("enum")) {
        if (!reads.path("type").asText("").equals(writes.path("type").asText("string"))) {
          breaking(path, "cannot prove compatible: " + became(describe(writes), describe(reads)));
        }
        return; // an enum read as a plain string: every name is read
      }
      if (!writes.has("enum")) {
        breaking(path, became(describe(writes), describe(reads)) + ": " + writer + " writes any " + describe(writes)
            + " but " + reader + " reads only " + reads.get("enum"));
        return;
      }
      for (JsonNode value : writes.get("enum")) {
        if (!contains(reads.get("enum"), value)) {
          breaking(path, "enum value " + value + " is written by " + writer + " and not read by " + reader
              + " (a value unknown to the reader fails to decode)");
        }
      }
      for (JsonNode value : reads.get("enum")) {
        if (!contains(writes.get("enum"), value)) {
          compatible(path, "enum value " + value + " is read by " + reader + " and never written by " + writer);
        }
      }
    }

    private void object(String path, JsonNode writes, JsonNode reads) {
      boolean writesMap = writes.has("additionalProperties");
      boolean readsMap = reads.has("additionalProperties");
      if (writesMap || readsMap) {
        if (writesMap && readsMap) {
          compare(path + "{}", writes.get("additionalProperties"), reads.get("additionalProperties"));
        } else {
          breaking(path, "cannot prove compatible: " + became(writesMap ? "a map" : "a record", readsMap ? "a map" : "a record"));
        }
        return;
      }
      JsonNode written = writes.path("properties");
      JsonNode read = reads.path("properties");
      for (Iterator<String> names = written.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (read.has(name)) {
          compare(path + "." + name, written.get(name), read.get(name));
        } else {
          compatible(path + "." + name, "written by " + writer + " and ignored by " + reader
              + " (unknown properties are ignored)");
        }
      }
      for (Iterator<String> names = read.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (written.has(name)) {
          continue;
        }
        if (admitsNull(read.get(name))) {
          compatible(path + "." + name, "not written by " + writer + "; " + reader + " reads it as absent (it may be null)");
        } else {
          breaking(path + "." + name, "cannot prove compatible: not written by " + writer + ", and " + reader
              + " fails to decode a record whose primitive component is missing; the contract does not say whether it is"
              + " primitive (make it Optional to be compatible)");
        }
      }
    }

    private boolean admitsNull(JsonNode schema) {
      JsonNode resolved = schema.has("$ref") ? resolve(readerRoot, schema) : schema;
      if (resolved == null) {
        return false;
      }
      for (JsonNode alternative : alternatives(resolved)) {
        if ("null".equals(alternative.path("type").asText())) {
          return true;
        }
      }
      return false;
    }

    /** A schema's alternatives: its {@code anyOf}, or itself. */
    private static List<JsonNode> alternatives(JsonNode schema) {
      List<JsonNode> alternatives = new ArrayList<>();
      if (schema.has("anyOf")) {
        schema.get("anyOf").forEach(alternatives::add);
      } else {
        alternatives.add(schema);
      }
      return alternatives;
    }

    /** A schema allowing any value: no {@code type}, {@code enum}, {@code anyOf} or {@code $ref}. */
    private static boolean anyValue(JsonNode schema) {
      return !schema.has("type") && !schema.has("enum") && !schema.has("anyOf") && !schema.has("$ref");
    }

    private static JsonNode resolve(JsonNode root, JsonNode schema) {
      String ref = schema.path("$ref").asText(null);
      if (ref == null) {
        return schema;
      }
      if (!ref.startsWith("#/$defs/")) {
        return null;
      }
      JsonNode found = root.path("$defs").get(ref.substring("#/$defs/".length()));
      return found == null ? null : found;
    }

    private static boolean contains(JsonNode array, JsonNode value) {
      for (JsonNode element : array) {
        if (element.equals(value)) {
          return true;
        }
      }
      return false;
    }

    private static String describe(JsonNode schema) {
      if (schema.has("$ref")) {
        String ref = schema.get("$ref").asText();
        return ref.substring(ref.lastIndexOf('/') + 1);
      }
      if (schema.has("type")) {
        return schema.get("type").asText() + (schema.has("format") ? " (" + schema.get("format").asText() + ")" : "");
      }
      if (schema.has("enum")) {
        return "one of " + schema.get("enum");
      }
      if (schema.has("anyOf")) {
        List<String> parts = new ArrayList<>();
        schema.get("anyOf").forEach(part -> parts.add(describe(part)));
        return String.join(" or ", parts);
      }
      return "any value";
    }
  }
}
