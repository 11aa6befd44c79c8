package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * What a service says about itself when asked ({@link RpcClient#describe(String)}; the request
 * {@code {"method":"rpc.describe","args":[]}}, docs/PROTOCOL.md, "Describing a service"): the
 * protocol and library version, the service's queues and, per method, its wire name, parameters,
 * the JSON Schemas of its arguments and result, declared exceptions, flags and timeout.
 *
 * <p>An immutable value, written as the reply's JSON (or CBOR) object with these field names and
 * read back by Jackson; peers ignore fields they do not know (protocol §8), so fields may be added.
 *
 * @param protocol the wire protocol version the server speaks ({@code rpc-protocol}, 1)
 * @param library the server's library and its version, e.g. {@code rabbit-rpc-java 0.1.0}
 * @param service the service interface's fully qualified name
 * @param queue the service's queue: the base name of its shard queues if it is sharded
 * @param shards the number of shard queues, 1 for a service on one queue
 * @param queues the queues requests travel on: {@code queue} itself, or {@code queue.0} … {@code queue.N-1}
 * @param encodings the request content types the server reads
 * @param plainText whether the server also takes plain-text requests (no content type, §9)
 * @param methods the remote methods, in wire-name order
 */
public record ServiceContract(
    int protocol,
    String library,
    String service,
    String queue,
    int shards,
    List<String> queues,
    List<String> encodings,
    boolean plainText,
    List<Method> methods) {

  /** The reserved wire name of the describe request; no user method may have a name starting with {@code rpc.}. */
  public static final String DESCRIBE = "rpc.describe";

  /** The prefix of the wire names the protocol reserves for itself. */
  public static final String RESERVED_PREFIX = "rpc.";

  /** Lists a peer left out (an older or another implementation) are empty, not null. */
  public ServiceContract {
    queues = queues == null ? List.of() : List.copyOf(queues);
    encodings = encodings == null ? List.of() : List.copyOf(encodings);
    methods = methods == null ? List.of() : List.copyOf(methods);
  }

  /** The method with this wire name, or null. */
  public Method method(String wireName) {
    for (Method method : methods) {
      if (method.wireName().equals(wireName)) {
        return method;
      }
    }
    return null;
  }

  /**
   * One remote method.
   *
   * @param wireName its name on the wire
   * @param javaName the Java method's name
   * @param parameters its parameters, in order
   * @param result the JSON Schema of the reply's value ({@code {"type":"null"}} for a method without a result)
   * @param exceptions the class names of the exceptions it declares ({@code throws}), rebuilt by type on the client
   * @param oneWay sent without {@code reply_to}; nothing is answered
   * @param idempotent retried after {@code UNAVAILABLE} and run again when redelivered
   * @param plainText its calls are sent in plain text (a {@code @RpcService(plainText = true)} service)
   * @param timeoutMillis its deadline, relative to the start of a call, in the server's own view of the interface
   * @param shardKey the name of the parameter whose value chooses the shard, or null
   * @param streaming answered by a stream of items ({@code Stream<T>}, {@code Flow.Publisher<T>}; docs/PROTOCOL.md,
   *     "Streaming replies"): then {@code result} is the schema of one item
   * @param idleMillis for a streaming method, its idle timeout ({@code @Timeout(idle)}); else 0
   * @param deduplicated run at most once per call key ({@code @Deduplicated}; docs/PROTOCOL.md, "Replayed
   *     replies"): retried after {@code UNAVAILABLE}, a repeated call answered with the kept reply
   * @param callKey for a deduplicated method, the name of the parameter whose value is the call key
   *     ({@code @CallKey}), or null if each call gets a fresh key
   * @param retentionMillis for a deduplicated method, how long the server keeps a call's reply; else 0
   */
  public record Method(
      String wireName,
      String javaName,
      List<Parameter> parameters,
      JsonNode result,
      List<String> exceptions,
      boolean oneWay,
      boolean idempotent,
      boolean plainText,
      long timeoutMillis,
      String shardKey,
      Boolean streaming,
      Long idleMillis,
      Boolean deduplicated,
      String callKey,
      Long retentionMillis) {
    /**
     * Lists a peer left out are empty, not null; {@code streaming}, {@code idleMillis},
     * {@code deduplicated} and {@code retentionMillis}, which older servers do not send (and contract
     * files recorded then lack), are false and 0.
     */
    public Method {
      streaming = Boolean.TRUE.equals(streaming);
      idleMillis = idleMillis == null ? 0L : idleMillis;
      deduplicated = Boolean.TRUE.equals(deduplicated);
      retentionMillis = retentionMillis == null ? 0L : retentionMillis;
      parameters = parameters == null ? List.of() : List.copyOf(parameters);
      exceptions = exceptions == null ? List.of() : List.copyOf(exceptions);
    }
  }

  /**
   * One parameter of a method.
   *
   * @param name its Java name; {@code arg0}, {@code arg1} … if the interface was compiled without {@code -parameters}
   * @param schema the JSON Schema of its value
   */
  public record Parameter(String name, JsonNode schema) {}

  /**
   * The contract of the service interface {@code service} as a server exporting it with the default
   * codec ({@link Codec#json()}) and default timeout (30 s) would describe it, made without a broker:
   * for build-time checks such as rpc-test's {@code ContractAssertions}. Its {@code timeoutMillis}
   * is the interface's own {@code @Timeout}, or 30,000 where it has none.
   *
   * @throws IllegalArgumentException if {@code service} is not a usable service interface
   */
  public static ServiceContract of(Class<?> service) {
    Codec codec = Codec.json();
    return of(ServiceDescriptor.parse(service, codec, ClientSettings.DEFAULT_TIMEOUT), codec.mapper());
  }

  /** The contract of {@code service}, with the schemas of the codec {@code mapper} writes. */
  static ServiceContract of(ServiceDescriptor service, ObjectMapper mapper) {
    List<Method> methods = new ArrayList<>();
    for (MethodDescriptor method : service.methods()) {
      java.lang.reflect.Parameter[] declared = method.method.getParameters();
      List<Parameter> parameters = new ArrayList<>();
      for (int i = 0; i < method.arity(); i++) {
        parameters.add(new Parameter(declared[i].getName(), JsonSchemas.of(mapper, method.parameterTypes[i])));
      }
      List<String> exceptions = new ArrayList<>();
      for (Class<? extends Throwable> exception : method.declaredExceptions) {
        exceptions.add(exception.getName());
      }
      methods.add(new Method(method.wireName, method.method.getName(), parameters,
          JsonSchemas.of(mapper, method.resultType), exceptions, method.oneWay, method.idempotent, method.plainText,
          TimeUnit.NANOSECONDS.toMillis(method.timeoutNanos),
          method.shardKey < 0 ? null : declared[method.shardKey].getName(), method.shape.streaming,
          TimeUnit.NANOSECONDS.toMillis(method.idleNanos), method.deduplication != null,
          method.deduplication == null || method.deduplication.callKeyParameter < 0 ? null
              : declared[method.deduplication.callKeyParameter].getName(),
          method.deduplication == null ? 0L : method.deduplication.retentionMillis));
    }
    return new ServiceContract(WireHeaders.PROTOCOL_VERSION, "rabbit-rpc-java " + libraryVersion(), service.type.getName(),
        service.serviceQueue, service.shards, service.shardQueues(), List.of(WireFormat.JSON.contentType, WireFormat.CBOR.contentType),
        service.plainTextMethod() != null, methods);
  }

  /** This library's version, from the resource Maven writes at build time; {@code unknown} without it. */
  static String libraryVersion() {
    try (InputStream in = ServiceContract.class.getResourceAsStream("rabbit-rpc.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      String version = properties.getProperty("version", "unknown");
      return version.startsWith("${") ? "unknown" : version;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
