package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the interceptor pipeline, client and server, without a broker: the terminal
 * step called directly (what a client or server with no interceptors runs: {@code CallEngine} and
 * {@code Dispatcher} skip the chain when the list is empty), against the same step through the
 * chain with no interceptor and with one pass-through interceptor, each with the call object the
 * runtime makes for it ({@link ClientCall} per attempt, {@link ServerCall} per request). The
 * terminal returns a completed stage, so what is measured is the pipeline alone. Run with
 * {@code -prof gc} for the bytes allocated per operation. In the runtime's package to reach the
 * package-private {@link Chains} and the calls' constructors.
 *
 * <p>JMH creates one instance per trial and calls it from its benchmark thread; not for use outside JMH.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
@Fork(1)
public class ChainBenchmark {
  private static final CompletionStage<Object> DONE = CompletableFuture.completedFuture("ok");

  private final ClientInterceptor.Chain send = call -> DONE;
  private final ServerInterceptor.Chain invoke = call -> DONE;
  private final List<ClientInterceptor> oneClientInterceptor = List.of((call, chain) -> chain.proceed(call));
  private final List<ServerInterceptor> oneServerInterceptor = List.of((call, chain) -> chain.proceed(call));
  private ServiceDescriptor service;
  private MethodDescriptor method;
  private Object[] args;
  private Deadline deadline;

  /** Parses the service once per trial. */
  @Setup
  public void setUp() throws Exception {
    service = ServiceDescriptor.parse(HotPathBenchmark.Echo.class, Codec.json(), Duration.ofSeconds(30));
    method = service.forMethod(HotPathBenchmark.Echo.class.getMethod("echo", HotPathBenchmark.Item.class));
    args = new Object[] {new HotPathBenchmark.Item("x".repeat(16), new byte[0], List.of())};
    deadline = Deadline.after(30, TimeUnit.SECONDS);
  }

  /** The client's send step alone: a client without interceptors. */
  @Benchmark
  public CompletionStage<Object> clientWithoutChain() {
    return send.proceed(null);
  }

  /** An attempt's call and the chain with no interceptor, to the send step. */
  @Benchmark
  public CompletionStage<Object> clientChainOfNone() {
    return new Chains.Client(List.of(), 0, send).proceed(clientCall());
  }

  /** An attempt's call and the chain with one pass-through interceptor, to the send step. */
  @Benchmark
  public CompletionStage<Object> clientChainOfOne() {
    return new Chains.Client(oneClientInterceptor, 0, send).proceed(clientCall());
  }

  /** The server's invoke step alone: a server without interceptors. */
  @Benchmark
  public CompletionStage<Object> serverWithoutChain() {
    return invoke.proceed(null);
  }

  /** A request's call and the chain with no interceptor, to the invoke step, and the reply headers read. */
  @Benchmark
  public Object serverChainOfNone() {
    return serverChain(List.of());
  }

  /** A request's call and the chain with one pass-through interceptor, to the invoke step, and the reply headers read. */
  @Benchmark
  public Object serverChainOfOne() {
    return serverChain(oneServerInterceptor);
  }

  private ClientCall clientCall() {
    return new ClientCall(service, method, args, deadline, 1, "c-1", Map.of());
  }

  private Object serverChain(List<ServerInterceptor> interceptors) {
    Chains.Server chain = new Chains.Server(interceptors, invoke);
    CompletionStage<Object> outcome = chain.proceed(new ServerCall(service, method, args, Map.of(), "c-1", deadline,
        Map.of()));
    return chain.lastCall().replyHeaders() == null ? null : outcome;
  }
}
