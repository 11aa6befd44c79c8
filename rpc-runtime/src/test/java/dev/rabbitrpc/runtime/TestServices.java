package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcMethod;
import dev.rabbitrpc.api.Timeout;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Service interfaces and implementations shared by the tests. */
final class TestServices {
  private TestServices() {}

  /** A greeting service: a sync method, an async one and an idempotent one (interceptor and reply-header tests). */
  interface Greeter {
    String greet(String name);

    CompletableFuture<String> greetLater(String name);

    @dev.rabbitrpc.api.Idempotent
    String lookup(String key);
  }

  /** Greets, and counts the calls it ran. */
  static class GreeterImpl implements Greeter {
    final AtomicInteger runs = new AtomicInteger();

    @Override public String greet(String name) {
      runs.incrementAndGet();
      return "hello " + name;
    }

    @Override public CompletableFuture<String> greetLater(String name) {
      runs.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> "later " + name);
    }

    @Override public String lookup(String key) {
      runs.incrementAndGet();
      return "value of " + key;
    }
  }

  enum Color { RED, GREEN }

  record Point(int x, int y) {}

  record Shape(String name, List<Point> points, Map<String, Point> named, Optional<Color> color) {}

  /** A mutable JavaBean, as many users have. */
  public static final class Bean {
    private String label;
    private long[] values;

    public Bean() {}

    public Bean(String label, long[] values) {
      this.label = label;
      this.values = values;
    }

    public String getLabel() {
      return label;
    }

    public void setLabel(String label) {
      this.label = label;
    }

    public long[] getValues() {
      return values;
    }

    public void setValues(long[] values) {
      this.values = values;
    }
  }

  /** A checked exception a method declares. */
  public static final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
      super(message);
    }
  }

  /** Every kind of type the codec must carry with full generic fidelity. */
  interface Types {
    int add(int a, int b);

    long negate(long value);

    double half(double value);

    boolean not(boolean value);

    char next(char value);

    Integer boxed(Integer value);

    String echo(String value);

    Color flip(Color color);

    int[] reverse(int[] values);

    String[] upper(String[] values);

    Point move(Point point, int dx);

    Shape shape(Shape shape);

    Bean bean(Bean bean);

    List<Point> points(int n);

    Map<String, Point> index(List<Point> points);

    Optional<Point> find(Optional<String> name);

    Map<String, List<Optional<Point>>> nested(Map<String, List<Optional<Point>>> value);

    void nothing();

    List<Integer> nullable(List<Integer> values);

    @RpcMethod("sum-async")
    CompletableFuture<List<Point>> pointsAsync(int n);

    CompletableFuture<Void> nothingAsync();

    default String greeting() {
      return "hello from " + echo("default");
    }
  }

  static class TypesImpl implements Types {
    final AtomicInteger nothingCalls = new AtomicInteger();

    @Override public int add(int a, int b) {
      return a + b;
    }

    @Override public long negate(long value) {
      return -value;
    }

    @Override public double half(double value) {
      return value / 2;
    }

    @Override public boolean not(boolean value) {
      return !value;
    }

    @Override public char next(char value) {
      return (char) (value + 1);
    }

    @Override public Integer boxed(Integer value) {
      return value == null ? null : value + 1;
    }

    @Override public String echo(String value) {
      return value;
    }

    @Override public Color flip(Color color) {
      return color == Color.RED ? Color.GREEN : Color.RED;
    }

    @Override public int[] reverse(int[] values) {
      int[] reversed = new int[values.length];
      for (int i = 0; i < values.length; i++) {
        reversed[i] = values[values.length - 1 - i];
      }
      return reversed;
    }

    @Override public String[] upper(String[] values) {
      String[] upper = new String[values.length];
      for (int i = 0; i < values.length; i++) {
        upper[i] = values[i].toUpperCase(java.util.Locale.ROOT);
      }
      return upper;
    }

    @Override public Point move(Point point, int dx) {
      return new Point(point.x() + dx, point.y());
    }

    @Override public Shape shape(Shape shape) {
      return shape;
    }

    @Override public Bean bean(Bean bean) {
      return new Bean(bean.getLabel() + "!", bean.getValues());
    }

    @Override public List<Point> points(int n) {
      return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Point(i, i * i)).toList();
    }

    @Override public Map<String, Point> index(List<Point> points) {
      Map<String, Point> index = new java.util.TreeMap<>();
      for (Point point : points) {
        index.put(point.x() + "," + point.y(), point);
      }
      return index;
    }

    @Override public Optional<Point> find(Optional<String> name) {
      return name.map(n -> new Point(n.length(), 0));
    }

    @Override public Map<String, List<Optional<Point>>> nested(Map<String, List<Optional<Point>>> value) {
      return value;
    }

    @Override public void nothing() {
      nothingCalls.incrementAndGet();
    }

    @Override public List<Integer> nullable(List<Integer> values) {
      return values;
    }

    @Override public CompletableFuture<List<Point>> pointsAsync(int n) {
      return CompletableFuture.supplyAsync(() -> points(n));
    }

    @Override public CompletableFuture<Void> nothingAsync() {
      nothingCalls.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    }
  }

  /** A record with a binary field, for CBOR (byte string, not base64) and JSON alike. */
  record Blob(String name, byte[] data, Optional<String> note, java.time.Instant at) {
    @Override public boolean equals(Object other) {
      return other instanceof Blob b && name.equals(b.name) && java.util.Arrays.equals(data, b.data)
          && note.equals(b.note) && at.equals(b.at);
    }

    @Override public int hashCode() {
      return java.util.Objects.hash(name, java.util.Arrays.hashCode(data), note, at);
    }

    @Override public String toString() {
      return "Blob[" + name + ", " + data.length + " bytes, " + note + ", " + at + "]";
    }
  }

  /** Binary payloads; the client chooses the encoding. */
  interface Blobs {
    /** The blob with its data reversed and its name upper-cased. */
    Blob reverse(Blob blob);

    /** {@code n} bytes 0, 1, 2, … (mod 256). */
    byte[] bytes(int n);

    CompletableFuture<Integer> lengthAsync(byte[] data);

    double scale(double value, double factor);

    /** Throws a declared exception for an empty name. */
    Blob named(String name) throws NotFoundException;

    /** Throws an undeclared one: APPLICATION_ERROR. */
    Blob broken(String why);
  }

  /** The same service, asking for CBOR whatever the client's encoding is. */
  @dev.rabbitrpc.api.RpcService(encoding = dev.rabbitrpc.api.Encoding.CBOR)
  interface CborBlobs extends Blobs {}

  /** The same service, asking for JSON whatever the client's encoding is. */
  @dev.rabbitrpc.api.RpcService(encoding = dev.rabbitrpc.api.Encoding.JSON)
  interface JsonBlobs extends Blobs {}

  static class BlobsImpl implements Blobs {
    final AtomicInteger calls = new AtomicInteger();

    @Override public Blob reverse(Blob blob) {
      calls.incrementAndGet();
      byte[] reversed = new byte[blob.data().length];
      for (int i = 0; i < reversed.length; i++) {
        reversed[i] = blob.data()[reversed.length - 1 - i];
      }
      return new Blob(blob.name().toUpperCase(java.util.Locale.ROOT), reversed, blob.note(), blob.at());
    }

    @Override public byte[] bytes(int n) {
      calls.incrementAndGet();
      return counting(n);
    }

    @Override public CompletableFuture<Integer> lengthAsync(byte[] data) {
      calls.incrementAndGet();
      return CompletableFuture.completedFuture(data.length);
    }

    @Override public double scale(double value, double factor) {
      calls.incrementAndGet();
      return value * factor;
    }

    @Override public Blob named(String name) throws NotFoundException {
      calls.incrementAndGet();
      if (name.isEmpty()) {
        throw new NotFoundException("no blob without a name");
      }
      return new Blob(name, new byte[0], Optional.empty(), java.time.Instant.EPOCH);
    }

    @Override public Blob broken(String why) {
      calls.incrementAndGet();
      throw new IllegalStateException(why);
    }
  }

  /** {@code n} bytes 0, 1, 2, … (mod 256). */
  static byte[] counting(int n) {
    byte[] data = new byte[n];
    for (int i = 0; i < n; i++) {
      data[i] = (byte) i;
    }
    return data;
  }

  /** Failure modes of handlers. */
  interface Failing {
    String find(String key) throws NotFoundException;

    String crash(String message);

    String refuse(String message);

    CompletableFuture<String> findAsync(String key) throws NotFoundException;

    @Timeout(value = 300, unit = TimeUnit.MILLISECONDS)
    String slow(long millis);

    @Timeout(value = 300, unit = TimeUnit.MILLISECONDS)
    CompletableFuture<String> slowAsync(long millis);

    String fast(String value);

    /**
     * Holds the call until the test lets it go: the server signals that it runs it. With the
     * client's default timeout, so the call stays pending for as long as the test needs.
     */
    String held(String value);

    /** As {@link #held}, async. */
    CompletableFuture<String> heldAsync(String value);
  }

  static class FailingImpl implements Failing {
    /** Released by tests to end slow and held handlers early. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Counted down when a held handler runs: the request reached the server. */
    final CountDownLatch running = new CountDownLatch(1);

    @Override public String find(String key) throws NotFoundException {
      throw new NotFoundException("no entry " + key);
    }

    @Override public String crash(String message) {
      throw new IllegalStateException(message);
    }

    @Override public String refuse(String message) {
      throw new RpcException(RpcException.Code.INVALID_ARGUMENT, message);
    }

    @Override public CompletableFuture<String> findAsync(String key) {
      return CompletableFuture.failedFuture(new NotFoundException("no entry " + key));
    }

    @Override public String slow(long millis) {
      try {
        release.await(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "slept";
    }

    @Override public CompletableFuture<String> slowAsync(long millis) {
      return CompletableFuture.supplyAsync(() -> slow(millis));
    }

    @Override public String fast(String value) {
      return value;
    }

    @Override public String held(String value) {
      running.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return value;
    }

    @Override public CompletableFuture<String> heldAsync(String value) {
      return CompletableFuture.supplyAsync(() -> held(value));
    }
  }
}
