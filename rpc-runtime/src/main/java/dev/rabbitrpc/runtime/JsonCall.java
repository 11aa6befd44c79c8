package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A call of a method known by its queue and wire name only, JSON in and JSON out
 * ({@link RpcClient#callJson}): the tool's way in (the {@code rabbit-rpc} CLI) to the one call
 * pipeline, {@link CallEngine}. The call gets a {@link ServiceDescriptor} with no methods of its
 * own and a {@link MethodDescriptor} made for it, whose parameters and result are Jackson trees,
 * so everything downstream (deadline, interceptors, {@link Sender}'s checks, the reply's decoding
 * and typed errors) is the proxies'. Such a call is never retried (nothing says it is
 * idempotent) and never plain text; its interceptors see {@link Untyped} as the service and
 * {@link Untyped#call} as the method, and the wire name as {@link RpcCall#methodName()}.
 *
 * <p>Thread-safe: the readers and writers are immutable, and a call's descriptors are its own.
 */
final class JsonCall {
  /** What a dynamic call is to the pipeline's Java side: {@link RpcCall#service()} and {@link RpcCall#method()}. */
  interface Untyped {
    /** Stands for any method; never implemented or called. */
    JsonNode call(JsonNode... arguments);
  }

  private static final Method UNTYPED;

  static {
    try {
      UNTYPED = Untyped.class.getMethod("call", JsonNode[].class);
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Codec codec;
  /** The tree type's reader and writer, made at the first call: a client that never calls by name never starts Jackson for it. */
  private volatile Trees trees;

  private record Trees(JavaType nodeType, ObjectWriter writer, ObjectReader reader) {}

  JsonCall(Codec codec) {
    this.codec = codec;
  }

  /** Made once (racing first calls may each make an equal one). */
  private Trees trees() {
    Trees made = trees;
    if (made == null) {
      ObjectMapper mapper = codec.mapper();
      JavaType nodeType = mapper.constructType(JsonNode.class);
      made = new Trees(nodeType, mapper.writerFor(nodeType).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE),
          mapper.readerFor(nodeType).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS));
      trees = made;
    }
    return made;
  }

  /** See {@link RpcClient#callJson}. */
  JsonNode call(CallEngine engine, String queue, String method, JsonNode args, Duration timeout) {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(timeout, "timeout");
    if (method.isBlank()) {
      throw new IllegalArgumentException("the method's wire name must not be blank");
    }
    if (!args.isArray()) {
      throw new IllegalArgumentException("the arguments must be a JSON array, one element per parameter, not "
          + args.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the timeout must be positive, not " + timeout);
    }
    ServiceDescriptor service = ServiceDescriptor.untyped(Untyped.class, queue);
    JsonNode[] arguments = new JsonNode[args.size()];
    Arrays.setAll(arguments, args::get);
    try {
      return (JsonNode) engine.call(service, method(method, arguments.length, timeout), arguments);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable checked) { // declares nothing: cannot be rebuilt, but keep the contract unchecked
      throw new RpcException(Code.INTERNAL, method + ": " + checked, checked);
    }
  }

  /** A method of {@code arity} JSON parameters and a JSON result, sync, not idempotent, not plain text. */
  private MethodDescriptor method(String wireName, int arity, Duration timeout) {
    Trees tree = trees();
    JavaType[] types = new JavaType[arity];
    ObjectWriter[] writers = new ObjectWriter[arity];
    ObjectReader[] readers = new ObjectReader[arity];
    Arrays.fill(types, tree.nodeType());
    Arrays.fill(writers, tree.writer());
    Arrays.fill(readers, tree.reader());
    return new MethodDescriptor(UNTYPED, wireName, wireName, types, writers, readers, tree.nodeType(), tree.writer(),
        tree.reader(), false, false, timeout.toNanos(), false, List.of(), false, false, -1, null, 0, null);
  }
}
