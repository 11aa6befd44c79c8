package dev.rabbitrpc.test.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.test.ContractDiff;
import dev.rabbitrpc.test.ContractDiff.Change;
import dev.rabbitrpc.test.ContractDiff.Kind;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * One test per row of the table in docs/guide/testing.md, "Catching breaking changes": version A
 * of an interface is the last release, version B the interface now, both on one queue.
 */
class ContractDiffTest {

  /** The changes from {@code a} to {@code b}. */
  private static List<Change> diff(Class<?> a, Class<?> b) {
    return ContractDiff.between(ServiceContract.of(a), ServiceContract.of(b));
  }

  /** The one change from {@code a} to {@code b}, which must be of {@code kind} and name {@code method}. */
  private static Change only(Kind kind, String method, Class<?> a, Class<?> b) {
    List<Change> changes = diff(a, b);
    assertEquals(1, changes.size(), changes::toString);
    Change change = changes.get(0);
    assertEquals(kind, change.kind(), change::toString);
    assertEquals(method, change.method(), change::toString);
    return change;
  }

  private static void contains(Change change, String text) {
    assertTrue(change.change().contains(text), () -> "'" + text + "' not in: " + change);
  }

  public record Point(int x, int y) {}

  public record Point3(int x, int y, int z) {}

  public record PointNoted(int x, int y, Optional<String> note) {}

  public record PointX(int x) {}

  public enum Color { RED, GREEN }

  public enum Color3 { RED, GREEN, BLUE }

  public enum ColorRed { RED }

  public record Tree(String name, List<Tree> children) {}

  public static class Missing extends Exception {
    private static final long serialVersionUID = 1L;

    public Missing(String message) {
      super(message);
    }
  }

  public static class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message);
    }
  }

  @RpcService(queue = "shapes")
  interface Base {
    int area(Point p);
  }

  @RpcService(queue = "shapes")
  interface BaseCopy {
    int area(Point p);
  }

  @Test
  void anUnchangedInterfaceHasNoChanges() {
    assertEquals(List.of(), diff(Base.class, BaseCopy.class));
  }

  @RpcService(queue = "shapes")
  interface MethodAdded {
    int area(Point p);

    int perimeter(Point p);
  }

  @Test
  void aMethodAddedIsCompatible() {
    contains(only(Kind.COMPATIBLE, "perimeter", Base.class, MethodAdded.class), "added");
  }

  @Test
  void aMethodRemovedIsBreaking() {
    contains(only(Kind.BREAKING, "perimeter", MethodAdded.class, Base.class), "UNKNOWN_METHOD");
  }

  @RpcService(queue = "shapes")
  interface MethodRenamed {
    int surface(Point p);
  }

  @Test
  void aMethodRenamedIsBreaking() {
    List<Change> changes = diff(Base.class, MethodRenamed.class);
    assertEquals(2, changes.size(), changes::toString);
    assertEquals(new Change(Kind.BREAKING, "area", "removed or renamed: old clients calling it get UNKNOWN_METHOD"), changes.get(0));
    assertEquals(Kind.COMPATIBLE, changes.get(1).kind());
    assertEquals("surface", changes.get(1).method());
  }

  @RpcService(queue = "shapes")
  interface JavaNameChangedWireNameKept {
    @RpcMethod("area")
    int surface(Point p);
  }

  @Test
  void aJavaMethodRenamedThatKeepsItsWireNameIsCompatible() {
    assertEquals(List.of(), diff(Base.class, JavaNameChangedWireNameKept.class));
  }

  @RpcService(queue = "shapes")
  interface ParameterAdded {
    int area(Point p, int scale);
  }

  @Test
  void aParameterAddedIsBreaking() {
    contains(only(Kind.BREAKING, "area", Base.class, ParameterAdded.class), "parameter scale added");
  }

  @Test
  void aParameterRemovedIsBreaking() {
    contains(only(Kind.BREAKING, "area", ParameterAdded.class, Base.class), "parameter scale removed");
  }

  @RpcService(queue = "shapes")
  interface ParameterRetyped {
    int area(String p);
  }

  @Test
  void aParameterRetypedIsBreaking() {
    contains(only(Kind.BREAKING, "area", Base.class, ParameterRetyped.class), "parameter p: type " + Point.class.getName() + " became string");
  }

  @RpcService(queue = "shapes")
  interface ParameterRenamed {
    int area(Point shape);
  }

  @Test
  void aParameterRenamedIsCompatible() {
    contains(only(Kind.COMPATIBLE, "area", Base.class, ParameterRenamed.class), "renamed shape");
  }

  @RpcService(queue = "numbers")
  interface IntInIntOut {
    int half(int n);
  }

  @RpcService(queue = "numbers")
  interface DoubleIn {
    int half(double n);
  }

  @RpcService(queue = "numbers")
  interface DoubleOut {
    double half(int n);
  }

  @RpcService(queue = "numbers")
  interface StringOut {
    String half(int n);
  }

  @Test
  void aParameterWidenedFromIntToDoubleIsCompatible() {
    assertEquals(List.of(), diff(IntInIntOut.class, DoubleIn.class));
  }

  @Test
  void aParameterNarrowedFromDoubleToIntIsBreaking() {
    contains(only(Kind.BREAKING, "half", DoubleIn.class, IntInIntOut.class), "parameter n");
  }

  @Test
  void aResultRetypedIsBreaking() {
    contains(only(Kind.BREAKING, "half", IntInIntOut.class, StringOut.class), "result: type integer became string");
  }

  @Test
  void aResultWidenedFromIntToDoubleIsBreaking() {
    contains(only(Kind.BREAKING, "half", IntInIntOut.class, DoubleOut.class), "which an old client does not read");
  }

  @Test
  void aResultNarrowedFromDoubleToIntIsCompatible() {
    assertEquals(List.of(), diff(DoubleOut.class, IntInIntOut.class));
  }

  @RpcService(queue = "numbers")
  interface VoidOut {
    void half(int n);
  }

  @Test
  void aResultGivenToAVoidMethodIsCompatible() {
    assertEquals(List.of(), diff(VoidOut.class, IntInIntOut.class));
  }

  @Test
  void aResultTakenFromAMethodIsBreaking() {
    contains(only(Kind.BREAKING, "half", IntInIntOut.class, VoidOut.class), "result: type integer became null");
  }

  @RpcService(queue = "lookup")
  interface Throws {
    String find(String key) throws Missing;
  }

  @RpcService(queue = "lookup")
  interface ThrowsTwo {
    String find(String key) throws Missing, Refused;
  }

  @Test
  void aDeclaredExceptionRemovedIsBreaking() {
    contains(only(Kind.BREAKING, "find", ThrowsTwo.class, Throws.class), "declared exception " + Refused.class.getName() + " removed");
  }

  @Test
  void aDeclaredExceptionAddedIsCompatible() {
    contains(only(Kind.COMPATIBLE, "find", Throws.class, ThrowsTwo.class), "gets the RpcException");
  }

  @RpcService(queue = "shapes")
  interface ResultPoint {
    Point origin(String name);
  }

  @RpcService(queue = "shapes")
  interface ResultPoint3 {
    Point3 origin(String name);
  }

  @RpcService(queue = "shapes")
  interface ResultPointX {
    PointX origin(String name);
  }

  @Test
  void aComponentAddedToAResultRecordIsCompatible() {
    contains(only(Kind.COMPATIBLE, "origin", ResultPoint.class, ResultPoint3.class), "result.z: written by the new server and ignored");
  }

  @Test
  void aComponentRemovedFromAResultRecordIsBreaking() {
    contains(only(Kind.BREAKING, "origin", ResultPoint.class, ResultPointX.class), "result.y: cannot prove compatible");
  }

  @RpcService(queue = "shapes")
  interface ParameterPoint3 {
    int area(Point3 p);
  }

  @RpcService(queue = "shapes")
  interface ParameterPointNoted {
    int area(PointNoted p);
  }

  @RpcService(queue = "shapes")
  interface ParameterPointX {
    int area(PointX p);
  }

  @Test
  void aComponentAddedToAParameterRecordIsBreakingUnlessItMayBeNull() {
    contains(only(Kind.BREAKING, "area", Base.class, ParameterPoint3.class), "parameter p.z: cannot prove compatible");
  }

  @Test
  void anOptionalComponentAddedToAParameterRecordIsCompatible() {
    contains(only(Kind.COMPATIBLE, "area", Base.class, ParameterPointNoted.class), "parameter p.note: not written by an old client");
  }

  @Test
  void aComponentRemovedFromAParameterRecordIsCompatible() {
    contains(only(Kind.COMPATIBLE, "area", Base.class, ParameterPointX.class), "parameter p.y: written by an old client and ignored");
  }

  @RpcService(queue = "paint")
  interface Paint {
    Color mix(Color a);
  }

  @RpcService(queue = "paint")
  interface PaintBlueIn {
    Color mix(Color3 a);
  }

  @RpcService(queue = "paint")
  interface PaintBlueOut {
    Color3 mix(Color a);
  }

  @RpcService(queue = "paint")
  interface PaintRedIn {
    Color mix(ColorRed a);
  }

  @Test
  void anEnumValueAddedToAParameterIsCompatible() {
    contains(only(Kind.COMPATIBLE, "mix", Paint.class, PaintBlueIn.class), "\"BLUE\" is read by the new server and never written");
  }

  @Test
  void anEnumValueRemovedFromAParameterIsBreaking() {
    contains(only(Kind.BREAKING, "mix", Paint.class, PaintRedIn.class), "enum value \"GREEN\" is written by an old client and not read");
  }

  @Test
  void anEnumValueAddedToAResultIsBreaking() {
    contains(only(Kind.BREAKING, "mix", Paint.class, PaintBlueOut.class), "enum value \"BLUE\" is written by the new server and not read");
  }

  @RpcService(queue = "log")
  interface Log {
    void append(String line);
  }

  @RpcService(queue = "log")
  interface LogOneWay {
    @OneWay
    void append(String line);
  }

  @Test
  void oneWayChangedIsBreaking() {
    contains(only(Kind.BREAKING, "append", Log.class, LogOneWay.class), "became one-way");
    contains(only(Kind.BREAKING, "append", LogOneWay.class, Log.class), "no longer one-way");
  }

  @RpcService(queue = "lines")
  interface Lines {
    String lines(int from);
  }

  @RpcService(queue = "lines")
  interface LinesStreamed {
    java.util.stream.Stream<String> lines(int from);
  }

  @Test
  void streamingChangedIsBreaking() {
    contains(only(Kind.BREAKING, "lines", Lines.class, LinesStreamed.class), "became streaming");
    contains(only(Kind.BREAKING, "lines", LinesStreamed.class, Lines.class), "no longer streaming");
  }

  @RpcService(queue = "pay")
  interface Pay {
    String pay(String account, long cents);
  }

  @RpcService(queue = "pay")
  interface PayDeduplicated {
    @dev.rabbitrpc.api.Deduplicated
    String pay(String account, long cents);
  }

  @Test
  void deduplicatedDroppedIsBreakingAndAddedIsCompatible() {
    contains(only(Kind.BREAKING, "pay", PayDeduplicated.class, Pay.class), "no longer deduplicated");
    contains(only(Kind.COMPATIBLE, "pay", Pay.class, PayDeduplicated.class), "became deduplicated");
  }

  @RpcService(queue = "log")
  interface LogIdempotent {
    @Idempotent
    void append(String line);
  }

  @Test
  void idempotentDroppedIsBreaking() {
    contains(only(Kind.BREAKING, "append", LogIdempotent.class, Log.class), "may run twice");
  }

  @Test
  void idempotentAddedIsCompatible() {
    contains(only(Kind.COMPATIBLE, "append", Log.class, LogIdempotent.class), "became idempotent");
  }

  @RpcService(queue = "log")
  interface LogSlow {
    @Timeout(60_000)
    void append(String line);
  }

  @Test
  void aTimeoutChangedIsCompatible() {
    contains(only(Kind.COMPATIBLE, "append", Log.class, LogSlow.class), "timeout 30000 ms became 60000 ms");
  }

  @RpcService(queue = "journal")
  interface Journal {
    void append(String line);
  }

  @Test
  void theQueueChangedIsBreaking() {
    Change change = only(Kind.BREAKING, null, Log.class, Journal.class);
    contains(change, "queue log became journal");
    assertTrue(change.toString().startsWith("BREAKING service: queue log"), change::toString);
  }

  @RpcService(queue = "log", shards = 4)
  interface LogSharded {
    void append(String line);
  }

  @Test
  void theShardCountChangedIsBreaking() {
    contains(only(Kind.BREAKING, null, Log.class, LogSharded.class), "shards 1 became 4");
  }

  @RpcService(queue = "trees")
  interface Trees {
    Tree grow(Tree seed);
  }

  @RpcService(queue = "trees")
  interface TreesCopy {
    Tree grow(Tree seed);
  }

  @Test
  void aRecursiveRecordIsComparedOnce() {
    assertEquals(List.of(), diff(Trees.class, TreesCopy.class));
  }

  @RpcService(queue = "paint")
  interface PaintRedOut {
    ColorRed mix(Color a);
  }

  @Test
  void anEnumValueRemovedFromAResultIsCompatible() {
    contains(only(Kind.COMPATIBLE, "mix", Paint.class, PaintRedOut.class), "\"GREEN\" is read by an old client and never written");
  }

  @RpcService(queue = "ids")
  interface IdsByString {
    String owner(String id);
  }

  @RpcService(queue = "ids")
  interface IdsByUuid {
    String owner(UUID id);
  }

  @Test
  void aStringBecomingAUuidIsBreaking() {
    contains(only(Kind.BREAKING, "owner", IdsByString.class, IdsByUuid.class), "parameter id: format none became \"uuid\"");
  }

  @RpcService(queue = "shapes")
  interface ParameterMap {
    int area(Map<String, Integer> p);
  }

  @Test
  void aRecordBecomingAMapIsBreaking() {
    contains(only(Kind.BREAKING, "area", Base.class, ParameterMap.class), "cannot prove compatible: a record became a map");
  }

  @RpcService(queue = "shapes")
  interface ParameterAnything {
    int area(Object p);
  }

  @Test
  void aParameterThatTakesAnyValueNowIsCompatible() {
    assertEquals(List.of(), diff(Base.class, ParameterAnything.class));
  }

  @Test
  void aParameterThatTookAnyValueBecomingTypedIsBreaking() {
    contains(only(Kind.BREAKING, "area", ParameterAnything.class, Base.class), "parameter p: cannot prove compatible");
  }

  @RpcService(queue = "accounts", shards = 4)
  interface ByOwner {
    void move(@ShardKey String owner, String account);
  }

  @RpcService(queue = "accounts", shards = 4)
  interface ByAccount {
    void move(String owner, @ShardKey String account);
  }

  @Test
  void theShardKeyChangedIsBreaking() {
    contains(only(Kind.BREAKING, "move", ByOwner.class, ByAccount.class), "shard key owner became account");
  }

  @RpcService(queue = "echo")
  interface Echo {
    String echo(String text);
  }

  @RpcService(queue = "echo", plainText = true)
  interface EchoPlain {
    String echo(String text);
  }

  @Test
  void plainTextChangedIsBreaking() {
    contains(only(Kind.BREAKING, "echo", Echo.class, EchoPlain.class), "plainText false became true");
  }

  @Test
  void aSchemaMissingFromAContractIsBreaking() {
    ServiceContract whole = ServiceContract.of(IntInIntOut.class);
    ServiceContract.Method half = whole.methods().get(0);
    ServiceContract noResult = new ServiceContract(whole.protocol(), whole.library(), whole.service(), whole.queue(),
        whole.shards(), whole.queues(), whole.encodings(), whole.plainText(), List.of(new ServiceContract.Method(
            half.wireName(), half.javaName(), half.parameters(), null, half.exceptions(), half.oneWay(), half.idempotent(),
            half.plainText(), half.timeoutMillis(), half.shardKey(), false, 0L, false, null, 0L)));
    List<Change> changes = ContractDiff.between(noResult, whole);
    assertEquals(List.of(new Change(Kind.BREAKING, "half", "result: cannot prove compatible: the old contract has no schema for it")),
        changes);
  }

  @Test
  void everyBreakingChangeIsListedNotJustTheFirst() {
    List<Change> breaking = ContractDiff.breaking(diff(MethodAdded.class, ParameterRetyped.class));
    assertEquals(2, breaking.size(), breaking::toString);
    assertEquals(List.of("area", "perimeter"), breaking.stream().map(Change::method).toList());
  }
}
