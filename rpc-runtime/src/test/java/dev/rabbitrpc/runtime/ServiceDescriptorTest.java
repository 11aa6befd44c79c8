package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Eager validation and parsing of service interfaces: every error names the method. */
class ServiceDescriptorTest {
  private static final Duration DEFAULT = Duration.ofSeconds(30);

  private static ServiceDescriptor parse(Class<?> type) {
    return ServiceDescriptor.parse(type, Codec.json(), DEFAULT);
  }

  private static String error(Class<?> type) {
    return assertThrows(IllegalArgumentException.class, () -> parse(type)).getMessage();
  }

  @RpcService(queue = "calc_queue")
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  interface Calculator {
    int add(int a, int b);

    @RpcMethod("add-longs")
    long add(long a, long b);

    @Timeout(250)
    CompletableFuture<List<Integer>> digits(long n);

    void reset();

    default int twice(int a) {
      return add(a, a);
    }

    static Calculator none() {
      return null;
    }

    @Override
    String toString();
  }

  interface Unnamed {
    String name();
  }

  @Test
  void parsesQueueWireNamesTimeoutsAndAsyncReturnTypes() throws Exception {
    ServiceDescriptor service = parse(Calculator.class);
    assertEquals("calc_queue", service.queue);
    MethodDescriptor add = service.forWireName("add");
    assertEquals(int.class, add.parameterTypes[0].getRawClass());
    assertEquals(TimeUnit.SECONDS.toNanos(5), add.timeoutNanos);
    assertEquals("Calculator.add", add.key);
    MethodDescriptor addLongs = service.forWireName("add-longs");
    assertEquals(Calculator.class.getMethod("add", long.class, long.class), addLongs.method);
    MethodDescriptor digits = service.forWireName("digits");
    assertTrue(digits.async);
    assertEquals("java.util.List<java.lang.Integer>", digits.resultType.toCanonical());
    assertEquals(TimeUnit.MILLISECONDS.toNanos(250), digits.timeoutNanos);
    assertTrue(service.forWireName("reset").returnsVoid);
  }

  @Test
  void leavesDefaultStaticAndObjectMethodsLocal() throws Exception {
    ServiceDescriptor service = parse(Calculator.class);
    assertNull(service.forMethod(Calculator.class.getMethod("twice", int.class)));
    assertNull(service.forMethod(Calculator.class.getMethod("toString")));
    assertNull(service.forWireName("none"));
    assertEquals(4, service.methods().size());
  }

  @Test
  void defaultsTheQueueToTheInterfaceNameAndTheTimeoutToTheClients() throws Exception {
    ServiceDescriptor service = parse(Unnamed.class);
    assertEquals(Unnamed.class.getName(), service.queue);
    assertEquals(DEFAULT.toNanos(), service.forWireName("name").timeoutNanos);
  }

  interface Overloaded {
    int add(int a, int b);

    long add(long a, long b);
  }

  interface Answering {
    @dev.rabbitrpc.api.OneWay
    int count(String key);
  }

  @dev.rabbitrpc.api.RpcService(queue = "plain", plainText = true)
  interface PlainOneWay {
    @dev.rabbitrpc.api.OneWay
    void note(String text);
  }

  @Test
  void rejectsAOneWayMethodThatReturnsAValueOrSpeaksPlainText() {
    String answering = error(Answering.class);
    assertTrue(answering.contains("@OneWay methods return void or CompletableFuture<Void>, not int"), answering);
    assertTrue(answering.endsWith("\n    for method Answering.count"), answering);
    String plain = error(PlainOneWay.class);
    assertTrue(plain.contains("@OneWay needs the JSON protocol"), plain);
  }

  @Test
  void rejectsOverloadsThatShareAWireName() {
    String message = error(Overloaded.class);
    assertTrue(message.contains("wire name \"add\" is also used by"), message);
    assertTrue(message.endsWith("\n    for method Overloaded.add"), message);
  }

  @Test
  void rejectsClassesAndGenericInterfaces() {
    assertTrue(error(String.class).contains("is not an interface"));
    assertTrue(error(Comparable.class).contains("must not be generic"));
  }

  interface Erased {
    <T> T anything(T value);
  }

  interface Raw {
    @SuppressWarnings("rawtypes")
    List items();
  }

  interface Streams {
    void upload(InputStream data);
  }

  interface Callbacks {
    void onDone(Runnable callback);
  }

  interface NotCompletable {
    CompletionStage<String> later();
  }

  interface BadTimeout {
    @Timeout(0)
    String now();
  }

  interface BadKeys {
    void put(Map<List<String>, String> map);
  }

  interface Empty {}

  @Test
  void rejectsTypesTheCodecCannotRoundTripNamingTheMethod() {
    assertTrue(error(Erased.class).contains("type variable T"), error(Erased.class));
    assertTrue(error(Erased.class).endsWith("for method Erased.anything"));
    assertTrue(error(Raw.class).contains("raw type java.util.List"), error(Raw.class));
    assertTrue(error(Streams.class).contains("parameter #1 (data)"), error(Streams.class));
    assertTrue(error(Callbacks.class).contains("is abstract"), error(Callbacks.class));
    assertTrue(error(NotCompletable.class).contains("must return CompletableFuture<T>"), error(NotCompletable.class));
    assertTrue(error(BadTimeout.class).contains("@Timeout must be positive"), error(BadTimeout.class));
    assertTrue(error(BadKeys.class).contains("Key deserializer"), error(BadKeys.class));
    assertTrue(error(Empty.class).contains("no remote methods"), error(Empty.class));
  }

  @Test
  void rejectsAnEmptyOrOverlongQueueOverride() {
    ServiceDescriptor service = parse(Unnamed.class);
    assertThrows(IllegalArgumentException.class, () -> service.withQueue(""));
    assertThrows(IllegalArgumentException.class, () -> service.withQueue("q".repeat(256)));
    assertFalse(service.withQueue("other").queue.equals(service.queue));
  }
}
