package dev.rabbitrpc.runtime;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the client's in-process hot path, without a broker: finding a method's
 * descriptor, encoding a request, decoding a reply (and, for the server side, decoding a request).
 * Run with {@code -prof gc} for the bytes allocated per operation. It lives in the runtime's package
 * (in this module) to reach the package-private {@link WireBody} and descriptors.
 *
 * <p>JMH creates one instance per trial and calls it from its benchmark thread; not for use outside JMH.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotPathBenchmark {
  /** The benchmarked service. */
  public interface Echo {
    Item echo(Item item);
  }

  /** The payload of the harness, here as a type of the runtime's package. */
  public record Item(String text, byte[] data, List<String> items) {}

  /** Field content in bytes: 16 is a 16-character string alone; larger sizes fill all three fields. */
  @Param({"16", "1024"})
  public int size;

  private ServiceDescriptor service;
  private Method javaMethod;
  private MethodDescriptor method;
  private Object[] args;
  private byte[] requestBody;
  private byte[] replyBody;

  /** Parses the service and prepares the bodies, once per trial. */
  @Setup
  public void setUp() throws Exception {
    Codec codec = Codec.json();
    service = ServiceDescriptor.parse(Echo.class, codec, Duration.ofSeconds(30));
    javaMethod = Echo.class.getMethod("echo", Item.class);
    method = service.forMethod(javaMethod);
    Item item = size <= 16
        ? new Item("x".repeat(size), new byte[0], List.of())
        : new Item("t".repeat(size / 4), new byte[size / 2], List.of("item-00000000000", "item-00000000001"));
    args = new Object[] {item};
    requestBody = WireBody.encodeRequest(codec.mapper(), method, args);
    replyBody = WireBody.encodeResult(method, item);
  }

  /** The proxy's first step: the cached descriptor of the invoked method. */
  @Benchmark
  public MethodDescriptor descriptorLookup() {
    return service.forMethod(javaMethod);
  }

  /** The request body a call sends. */
  @Benchmark
  public byte[] encodeRequest() {
    return WireBody.encodeRequest(Codec.json().mapper(), method, args);
  }

  /** The result of an {@code OK} reply, bound to the method's return type. */
  @Benchmark
  public Object decodeReply() {
    return WireBody.decodeResult(method, replyBody);
  }

  /** The server's side: a request body back to its method and arguments. */
  @Benchmark
  public Object decodeRequest() {
    return WireBody.decodeRequest(Codec.json().mapper(), service, requestBody);
  }
}
