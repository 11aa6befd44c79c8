package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.type.TypeFactory;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.ShardKey;
import dev.rabbitrpc.api.Timeout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A service interface parsed and validated once: its queue and one {@link MethodDescriptor} per
 * remote method, found by {@link Method} (client side) or by wire name (server side).
 *
 * <p>A sharded service ({@code @RpcService(shards = N)}, N > 1) has one descriptor for the whole
 * service, whose {@link #queue} is the base name, and one view per shard ({@link #shard(int)}),
 * whose {@link #queue} is that shard's queue ({@code base.i}); the views share the methods. A call
 * is made with the view {@link #route} chooses, so that everything downstream (the request's
 * routing key, {@link RpcCall#queue()}, the consumer probe, queue counts, cancel notices, CBOR
 * fallback) sees the queue the request really travels on. An unsharded service is its own only
 * shard.
 *
 * <p>Every problem is reported at parse time as an {@link IllegalArgumentException} whose message
 * ends with {@code "\n    for method Service.method"}.
 *
 * <p>Immutable and thread-safe, but for the round-robin turn of a sharded service (an atomic counter).
 */
final class ServiceDescriptor {
  /** Wire names starting with this are the protocol's own (docs/PROTOCOL.md §4, "Describing a service"), never a user method's. */
  static final String RESERVED_PREFIX = "rpc.";
  final Class<?> type;
  /** The queue requests travel on: the service's, or for a shard view its shard's; the base name for a sharded whole. */
  final String queue;
  /** The service's queue name ({@code @RpcService(queue)} or the override), of which shard queues are named. */
  final String serviceQueue;
  /** {@code @RpcService(shards)}: 1 for a service on one queue. */
  final int shards;
  /** This view's shard, or -1 for a sharded service as a whole; 0 for an unsharded service. */
  final int shard;
  /** {@code @RpcService(encoding)}: the format proxies send in, or DEFAULT for the client's. */
  final Encoding encoding;
  private final Map<Method, MethodDescriptor> byMethod;
  private final Map<String, MethodDescriptor> byWireName;
  /** One view per shard, shared by the whole and its views; null for an unsharded service. */
  private final ServiceDescriptor[] views;
  /** The next round-robin shard, shared by the whole and its views (per client: clients parse their own). */
  private final AtomicInteger turn;

  private ServiceDescriptor(
      Class<?> type,
      String queue,
      int shards,
      Encoding encoding,
      Map<Method, MethodDescriptor> byMethod,
      Map<String, MethodDescriptor> byWireName) {
    this.type = type;
    this.queue = queue;
    this.serviceQueue = queue;
    this.shards = shards;
    this.encoding = encoding;
    this.byMethod = byMethod;
    this.byWireName = byWireName;
    if (shards == 1) {
      this.shard = 0;
      this.views = null;
      this.turn = null;
    } else {
      this.shard = -1;
      this.views = new ServiceDescriptor[shards];
      this.turn = new AtomicInteger();
      for (int i = 0; i < shards; i++) {
        views[i] = new ServiceDescriptor(this, i);
      }
    }
  }

  /** Shard {@code index} of {@code whole}. */
  private ServiceDescriptor(ServiceDescriptor whole, int index) {
    this.type = whole.type;
    this.queue = Sharding.queueName(whole.serviceQueue, index);
    this.serviceQueue = whole.serviceQueue;
    this.shards = whole.shards;
    this.shard = index;
    this.encoding = whole.encoding;
    this.byMethod = whole.byMethod;
    this.byWireName = whole.byWireName;
    this.views = whole.views;
    this.turn = whole.turn;
  }

  /** The same service on another queue; the method descriptors are shared. */
  ServiceDescriptor withQueue(String otherQueue) {
    checkQueue(type.getName(), otherQueue, shards);
    return otherQueue.equals(serviceQueue) ? this
        : new ServiceDescriptor(type, otherQueue, shards, encoding, byMethod, byWireName);
  }

  /**
   * A service known by its queue only, for a dynamic call ({@link JsonCall}): it has no methods of
   * its own (each call brings its descriptor) and one queue; {@code type} stands for it in interceptors.
   *
   * @throws IllegalArgumentException if the queue name is empty or longer than 255 characters
   */
  static ServiceDescriptor untyped(Class<?> type, String queue) {
    checkQueue("callJson", queue, 1); // a message about the call, not the stand-in type
    return new ServiceDescriptor(type, queue, 1, Encoding.DEFAULT, Map.of(), Map.of());
  }

  /** {@code who} begins the message: the service interface, or the call. */
  private static void checkQueue(String who, String queue, int shards) {
    if (queue.isEmpty() || queue.length() > 255) {
      throw new IllegalArgumentException(who + ": a queue name must have 1 to 255 characters: \"" + queue + "\"");
    }
    if (shards > 1 && Sharding.queueName(queue, shards - 1).length() > 255) {
      throw new IllegalArgumentException(who + ": the shard queues of \"" + queue + "\" (" + queue + ".0 to "
          + Sharding.queueName(queue, shards - 1) + ") must have at most 255 characters");
    }
  }

  /** Shard {@code index}'s view (this descriptor itself for an unsharded service). */
  ServiceDescriptor shard(int index) {
    return views == null ? this : views[index];
  }

  /** The queues of the service's shards, in shard order: the one queue of an unsharded service. */
  List<String> shardQueues() {
    List<String> queues = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      queues.add(shard(i).queue);
    }
    return queues;
  }

  /**
   * The shard a call goes to: its key's (docs/PROTOCOL.md, "Sharded services") if the method has a
   * {@code @ShardKey}, else the next in turn; this descriptor itself for an unsharded service.
   *
   * @throws dev.rabbitrpc.api.RpcException {@code INVALID_ARGUMENT} for a null key
   */
  ServiceDescriptor route(MethodDescriptor method, Object[] args) {
    if (views == null) {
      return this;
    }
    return views[method.shardKey >= 0 ? Sharding.shardOfArgument(method.key, method.shardKey, args[method.shardKey], shards)
        : Math.floorMod(turn.getAndIncrement(), shards)];
  }

  /** The descriptor of a remote method, or null for local (Object, default, static) methods. */
  MethodDescriptor forMethod(Method method) {
    return byMethod.get(method);
  }

  /** The descriptor of the method with this wire name, or null. */
  MethodDescriptor forWireName(String wireName) {
    return byWireName.get(wireName);
  }

  /** Remote methods in wire-name order. */
  List<MethodDescriptor> methods() {
    List<MethodDescriptor> list = new ArrayList<>(byWireName.values());
    list.sort(Comparator.comparing(d -> d.wireName));
    return list;
  }

  /** The method a plain-text request calls (docs/PROTOCOL.md §9): the only method if it takes one argument, else null. */
  MethodDescriptor plainTextMethod() {
    List<MethodDescriptor> methods = methods();
    return methods.size() == 1 && methods.get(0).arity() == 1 ? methods.get(0) : null;
  }

  /** Why {@link #plainTextMethod()} found no method, for the error reply. */
  String plainTextUnsupported() {
    List<MethodDescriptor> methods = methods();
    String shape = methods.size() == 1
        ? "its one method " + methods.get(0).wireName + " takes " + methods.get(0).arity() + " arguments"
        : "it has " + methods.size() + " methods";
    return "a plain-text request (no content_type) needs a service with exactly one method of one argument, but "
        + type.getSimpleName() + " cannot take one: " + shape + "; send JSON (content_type application/json)";
  }

  @Override
  public String toString() {
    return type.getName() + (shard < 0 ? " on queues " + queue + ".0 to " + Sharding.queueName(queue, shards - 1)
        : " on queue " + queue);
  }

  /**
   * Parses and validates a service interface.
   *
   * @throws IllegalArgumentException if the type is not a usable service interface
   */
  static ServiceDescriptor parse(Class<?> type, Codec codec, Duration defaultTimeout) {
    return parse(type, codec, defaultTimeout, false);
  }

  /**
   * Like {@link #parse(Class, Codec, Duration)}; {@code protocolOwned} for the runtime's own
   * interfaces ({@link Describe}), whose wire names may start with {@link #RESERVED_PREFIX}.
   */
  static ServiceDescriptor parse(Class<?> type, Codec codec, Duration defaultTimeout, boolean protocolOwned) {
    if (!type.isInterface()) {
      throw new IllegalArgumentException(type.getName() + " is not an interface; only interfaces can be services");
    }
    if (type.getTypeParameters().length > 0) {
      throw new IllegalArgumentException(
          type.getName() + " has type parameters; a service interface must not be generic");
    }
    RpcService service = type.getAnnotation(RpcService.class);
    String queue = service == null || service.queue().isEmpty() ? type.getName() : service.queue();
    int shards = service == null ? 1 : service.shards();
    if (shards < 1 || shards > Sharding.MAX_SHARDS) {
      throw new IllegalArgumentException(type.getName() + ": @RpcService(shards) must be 1 to " + Sharding.MAX_SHARDS
          + ", not " + shards);
    }
    checkQueue(type.getName(), queue, shards);
    boolean plainText = service != null && service.plainText();
    Encoding encoding = service == null ? Encoding.DEFAULT : service.encoding();
    if (plainText && encoding != Encoding.DEFAULT) {
      throw new IllegalArgumentException(type.getName() + ": @RpcService(plainText = true) sends plain text; it takes no"
          + " encoding, but says encoding = " + encoding);
    }
    long typeTimeout = timeoutNanos(type.getAnnotation(Timeout.class), defaultTimeout, type.getName());

    TypeChecker checker = new TypeChecker(codec.mapper());
    Map<Method, MethodDescriptor> byMethod = new HashMap<>();
    Map<String, MethodDescriptor> byWireName = new LinkedHashMap<>();
    Method[] methods = type.getMethods();
    Arrays.sort(methods, Comparator.comparing(Method::toGenericString));
    for (Method method : methods) {
      if (!isRemote(method)) {
        continue;
      }
      MethodDescriptor descriptor = parseMethod(method, checker, typeTimeout, plainText, protocolOwned);
      MethodDescriptor clash = byWireName.putIfAbsent(descriptor.wireName, descriptor);
      if (clash != null) {
        throw TypeChecker.methodError(
            method,
            "wire name \"" + descriptor.wireName + "\" is also used by " + clash.method.toGenericString()
                + "; give overloads distinct @RpcMethod names");
      }
      byMethod.put(method, descriptor);
    }
    if (byMethod.isEmpty()) {
      throw new IllegalArgumentException(type.getName() + " declares no remote methods");
    }
    ServiceDescriptor parsed = new ServiceDescriptor(type, queue, shards, encoding, Map.copyOf(byMethod),
        Map.copyOf(byWireName));
    if (plainText && parsed.plainTextMethod() == null) {
      MethodDescriptor first = parsed.methods().get(0);
      throw TypeChecker.methodError(first.method, "@RpcService(plainText = true) needs exactly one method of one parameter, but "
          + type.getSimpleName() + (byMethod.size() == 1 ? "." + first.wireName + " takes " + first.arity() + " arguments"
              : " has " + byMethod.size() + " methods"));
    }
    return parsed;
  }

  /** Abstract instance methods that are not redeclarations of {@code Object}'s public methods. */
  private static boolean isRemote(Method method) {
    if (Modifier.isStatic(method.getModifiers()) || method.isDefault() || method.isSynthetic()) {
      return false;
    }
    try {
      Object.class.getMethod(method.getName(), method.getParameterTypes());
      return false;
    } catch (NoSuchMethodException notAnObjectMethod) {
      return true;
    }
  }

  private static MethodDescriptor parseMethod(Method method, TypeChecker checker, long typeTimeout, boolean plainText,
      boolean protocolOwned) {
    RpcMethod rpcMethod = method.getAnnotation(RpcMethod.class);
    String wireName = rpcMethod == null ? method.getName() : rpcMethod.value();
    if (wireName.isBlank()) {
      throw TypeChecker.methodError(method, "@RpcMethod value must not be blank");
    }
    if (!protocolOwned && wireName.startsWith(RESERVED_PREFIX)) {
      throw TypeChecker.methodError(method, "wire name \"" + wireName + "\" starts with \"" + RESERVED_PREFIX
          + "\", which the protocol reserves for its own requests (rpc.describe); choose another @RpcMethod name");
    }
    long timeout = method.isAnnotationPresent(Timeout.class)
        ? timeoutNanos(method.getAnnotation(Timeout.class), null, TypeChecker.key(method))
        : typeTimeout;

    ObjectMapper mapper = checker.mapper;
    Type[] genericParameters = method.getGenericParameterTypes();
    int shardKey = shardKeyOf(method);
    JavaType[] parameterTypes = new JavaType[genericParameters.length];
    ObjectWriter[] writers = new ObjectWriter[genericParameters.length];
    ObjectReader[] readers = new ObjectReader[genericParameters.length];
    for (int i = 0; i < genericParameters.length; i++) {
      String role = "parameter #" + (i + 1) + " (" + method.getParameters()[i].getName() + ")";
      parameterTypes[i] = checker.check(method, genericParameters[i], role);
      writers[i] = writerFor(mapper, parameterTypes[i]);
      // Arguments are read from inside the request array; the envelope checks trailing data itself.
      readers[i] = mapper.readerFor(parameterTypes[i]).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    Type returnType = method.getGenericReturnType();
    Class<?> rawReturn = method.getReturnType();
    CallShape streamShape = rawReturn == Stream.class ? CallShape.STREAM
        : rawReturn == Flow.Publisher.class ? CallShape.PUBLISHER : null;
    boolean async = rawReturn == CompletableFuture.class;
    if (!async && (Future.class.isAssignableFrom(rawReturn) || CompletionStage.class.isAssignableFrom(rawReturn))) {
      throw TypeChecker.methodError(method, "asynchronous methods must return CompletableFuture<T>, not " + returnType.getTypeName());
    }
    Type resultType = returnType;
    if (streamShape != null) {
      if (!(returnType instanceof ParameterizedType)) {
        throw TypeChecker.methodError(method, "raw " + rawReturn.getSimpleName() + "; declare its item type, e.g. "
            + rawReturn.getSimpleName() + "<Order>");
      }
      resultType = ((ParameterizedType) returnType).getActualTypeArguments()[0];
      if (resultType == Void.class || method.isAnnotationPresent(OneWay.class) || plainText) {
        throw TypeChecker.methodError(method, "a streaming method returns items of a type other than Void, is not @OneWay"
            + " and needs the JSON protocol (not plainText)");
      }
    }
    if (async) {
      if (!(returnType instanceof ParameterizedType)) {
        throw TypeChecker.methodError(method, "raw CompletableFuture; declare its value type, e.g. CompletableFuture<Void>");
      }
      resultType = ((ParameterizedType) returnType).getActualTypeArguments()[0];
    }
    boolean returnsVoid = resultType == void.class || resultType == Void.class;
    boolean oneWay = method.isAnnotationPresent(OneWay.class);
    if (oneWay && !returnsVoid) {
      throw TypeChecker.methodError(method, "@OneWay methods return void or CompletableFuture<Void>, not " + returnType.getTypeName());
    }
    if (oneWay && plainText) {
      throw TypeChecker.methodError(method, "@OneWay needs the JSON protocol: a plain-text service always answers");
    }
    JavaType resultJavaType = returnsVoid
        ? TypeFactory.defaultInstance().constructType(Void.class)
        : checker.check(method, resultType, "return type");

    List<Class<? extends Throwable>> declared = new ArrayList<>();
    for (Class<?> exception : method.getExceptionTypes()) {
      declared.add(exception.asSubclass(Throwable.class));
    }
    return new MethodDescriptor(
        method,
        protocolOwned ? wireName : TypeChecker.key(method), // "rpc.describe: …", not the internal interface's name
        wireName,
        parameterTypes,
        writers,
        readers,
        resultJavaType,
        writerFor(mapper, resultJavaType),
        mapper.readerFor(resultJavaType),
        async,
        returnsVoid,
        timeout,
        method.isAnnotationPresent(Idempotent.class) || method.getDeclaringClass().isAnnotationPresent(Idempotent.class),
        List.copyOf(declared),
        plainText,
        oneWay,
        shardKey,
        streamShape,
        streamShape == null ? 0 : idleNanos(method, timeout),
        Deduplication.of(method, timeout, streamShape != null));
  }

  /** A streaming method's idle timeout: its {@code @Timeout(idle)}, else the type's, else the whole timeout. */
  private static long idleNanos(Method method, long timeoutNanos) {
    Timeout annotation = method.isAnnotationPresent(Timeout.class) ? method.getAnnotation(Timeout.class)
        : method.getDeclaringClass().getAnnotation(Timeout.class);
    if (annotation == null || annotation.idle() <= 0) {
      return timeoutNanos;
    }
    return Math.min(timeoutNanos, annotation.unit().toNanos(annotation.idle()));
  }

  /** The index of the method's {@code @ShardKey} parameter, or -1; at most one, of a key type ({@link Sharding#isKeyType}). */
  private static int shardKeyOf(Method method) {
    int found = -1;
    java.lang.reflect.Parameter[] parameters = method.getParameters();
    for (int i = 0; i < parameters.length; i++) {
      if (!parameters[i].isAnnotationPresent(ShardKey.class)) {
        continue;
      }
      if (found >= 0) {
        throw TypeChecker.methodError(method, "@ShardKey on parameters #" + (found + 1) + " and #" + (i + 1)
            + "; a call has one shard key");
      }
      if (!Sharding.isKeyType(parameters[i].getType())) {
        throw TypeChecker.methodError(method, "@ShardKey parameter #" + (i + 1) + " (" + parameters[i].getName() + ") is a "
            + parameters[i].getParameterizedType().getTypeName() + "; a shard key must be a String, a byte, short, int"
            + " or long (or its box), a UUID or an enum, whose text is the same in every language");
      }
      found = i;
    }
    return found;
  }

  private static ObjectWriter writerFor(ObjectMapper mapper, JavaType type) {
    return mapper.writerFor(type).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
  }

  private static long timeoutNanos(Timeout timeout, Duration fallback, String where) {
    if (timeout == null) {
      return fallback.toNanos();
    }
    if (timeout.value() <= 0) {
      throw new IllegalArgumentException("@Timeout must be positive, got " + timeout.value() + " " + timeout.unit()
          + "\n    for " + where);
    }
    return timeout.unit().toNanos(timeout.value());
  }
}
