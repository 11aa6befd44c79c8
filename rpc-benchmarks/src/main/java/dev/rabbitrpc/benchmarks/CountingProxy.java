package dev.rabbitrpc.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-JVM TCP proxy between one client process and the broker that counts what crosses it: bytes
 * and AMQP 0-9-1 frames each way, heartbeats apart, and the methods that create something on the
 * broker or carry calls ({@code channel.open}, {@code basic.consume}, {@code queue.declare} active
 * or passive, {@code basic.publish}, {@code basic.deliver}, …), read from the frames themselves. So
 * a client's traffic and what it asks the broker to create are measured on the wire, not inferred.
 * Give each client process its own proxy.
 *
 * <p>Thread-safe: {@link #snapshot} may be called from any thread while traffic flows.
 */
final class CountingProxy implements AutoCloseable {
  /** AMQP methods by class and method id (AMQP 0-9-1), the ones the counts name. */
  private static final Map<Integer, String> METHODS = Map.ofEntries(
      Map.entry(method(20, 10), "channel.open"), Map.entry(method(20, 11), "channel.open-ok"),
      Map.entry(method(20, 40), "channel.close"), Map.entry(method(20, 41), "channel.close-ok"),
      Map.entry(method(40, 11), "exchange.declare-ok"), Map.entry(method(50, 11), "queue.declare-ok"),
      Map.entry(method(60, 21), "basic.consume-ok"),
      Map.entry(method(40, 10), "exchange.declare"), Map.entry(method(50, 20), "queue.bind"),
      Map.entry(method(60, 10), "basic.qos"), Map.entry(method(60, 20), "basic.consume"),
      Map.entry(method(60, 30), "basic.cancel"), Map.entry(method(60, 40), "basic.publish"),
      Map.entry(method(60, 50), "basic.return"), Map.entry(method(60, 60), "basic.deliver"),
      Map.entry(method(60, 80), "basic.ack"), Map.entry(method(85, 10), "confirm.select"));
  /** Frame types (AMQP 0-9-1 section 4.2.3). */
  private static final int METHOD_FRAME = 1;
  private static final int HEARTBEAT_FRAME = 8;
  private static final int FRAME_END = 0xCE;

  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Counts toBroker = new Counts();
  private final Counts fromBroker = new Counts();
  private volatile boolean closed;

  CountingProxy(String upstreamHost, int upstreamPort) throws IOException {
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "bench-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private static int method(int classId, int methodId) {
    return classId << 16 | methodId;
  }

  int port() {
    return server.getLocalPort();
  }

  /** What went each way so far. */
  Snapshot snapshot() {
    return new Snapshot(toBroker.snapshot(), fromBroker.snapshot());
  }

  /** The counts both ways at one moment; {@link #minus} gives what crossed between two. */
  record Snapshot(Direction toBroker, Direction fromBroker) {
    static final Snapshot ZERO = new Snapshot(Direction.ZERO, Direction.ZERO);

    Snapshot minus(Snapshot before) {
      return new Snapshot(toBroker.minus(before.toBroker), fromBroker.minus(before.fromBroker));
    }

    /** The counts of two connections together. */
    Snapshot plus(Snapshot other) {
      return new Snapshot(toBroker.plus(other.toBroker), fromBroker.plus(other.fromBroker));
    }

    long bytes() {
      return toBroker.bytes + fromBroker.bytes;
    }

    long frames() {
      return toBroker.frames + fromBroker.frames;
    }

    long heartbeats() {
      return toBroker.heartbeats + fromBroker.heartbeats;
    }
  }

  /**
   * One direction's counts.
   *
   * @param bytes every byte, the protocol header included
   * @param frames every frame, heartbeats included
   * @param heartbeats heartbeat frames
   * @param methods method frames by name (the names of {@link #METHODS}, {@code queue.declare} as
   *     {@code queue.declare (passive)} or {@code queue.declare (creates)}, others as {@code class.method ids})
   */
  record Direction(long bytes, long frames, long heartbeats, Map<String, Long> methods) {
    static final Direction ZERO = new Direction(0, 0, 0, Map.of());

    Direction minus(Direction before) {
      return combine(before, -1);
    }

    Direction plus(Direction other) {
      return combine(other, 1);
    }

    private Direction combine(Direction other, int sign) {
      Map<String, Long> methods = new TreeMap<>(this.methods);
      other.methods.forEach((name, n) -> methods.merge(name, sign * n, Long::sum));
      methods.values().removeIf(n -> n == 0);
      return new Direction(bytes + sign * other.bytes, frames + sign * other.frames,
          heartbeats + sign * other.heartbeats, methods);
    }

    long method(String name) {
      return methods.getOrDefault(name, 0L);
    }
  }

  /** Counts of one direction, fed by its pump thread as a stream of frames. */
  private static final class Counts {
    private long bytes;
    private long frames;
    private long heartbeats;
    private final Map<String, Long> methods = new TreeMap<>();

    synchronized void add(long n) {
      bytes += n;
    }

    synchronized void frame(int type, byte[] methodStart, int length) {
      frames++;
      if (type == HEARTBEAT_FRAME) {
        heartbeats++;
      } else if (type == METHOD_FRAME && length >= 4) {
        methods.merge(name(methodStart, length), 1L, Long::sum);
      }
    }

    synchronized Direction snapshot() {
      return new Direction(bytes, frames, heartbeats, new TreeMap<>(methods));
    }

    private static String name(byte[] payload, int length) {
      int classId = (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
      int methodId = (payload[2] & 0xFF) << 8 | payload[3] & 0xFF;
      if (classId == 50 && methodId == 10) {
        // queue.declare: reserved short, queue shortstr, then the bits passive, durable, exclusive, ...
        int nameLength = length > 6 ? payload[6] & 0xFF : 0;
        int bits = 7 + nameLength;
        boolean passive = bits < length && (payload[bits] & 1) != 0;
        return passive ? "queue.declare (passive)" : "queue.declare (creates)";
      }
      String known = METHODS.get(method(classId, methodId));
      return known != null ? known : "method " + classId + "." + methodId;
    }
  }

  /**
   * Splits one direction's byte stream into frames as it passes: 7-byte header (type, channel,
   * size), payload, frame-end. The client's direction starts with the 8-byte protocol header.
   */
  private static final class FrameReader {
    private final Counts counts;
    private int skip;
    private final byte[] header = new byte[7];
    private int headerFill;
    private final byte[] methodStart = new byte[7 + 256 + 1];
    private int type;
    private long remaining = -1; // payload bytes left in the current frame, -1 between frames
    private int payloadSeen;
    private int methodLength;

    FrameReader(Counts counts, boolean protocolHeaderFirst) {
      this.counts = counts;
      this.skip = protocolHeaderFirst ? 8 : 0;
    }

    void feed(byte[] buffer, int offset, int length) {
      counts.add(length);
      int i = offset;
      int end = offset + length;
      while (i < end) {
        if (skip > 0) {
          int n = Math.min(skip, end - i);
          skip -= n;
          i += n;
        } else if (remaining < 0) {
          header[headerFill++] = buffer[i++];
          if (headerFill == header.length) {
            headerFill = 0;
            type = header[0] & 0xFF;
            remaining = (header[3] & 0xFFL) << 24 | (header[4] & 0xFF) << 16 | (header[5] & 0xFF) << 8 | header[6] & 0xFF;
            methodLength = (int) Math.min(remaining, methodStart.length);
            payloadSeen = 0;
          }
        } else if (remaining > 0) {
          int n = (int) Math.min(remaining, end - i);
          if (type == METHOD_FRAME && payloadSeen < methodLength) {
            int copy = Math.min(n, methodLength - payloadSeen);
            System.arraycopy(buffer, i, methodStart, payloadSeen, copy);
          }
          payloadSeen += n;
          remaining -= n;
          i += n;
        } else {
          if ((buffer[i] & 0xFF) != FRAME_END) {
            throw new IllegalStateException("not an AMQP 0-9-1 frame end: " + (buffer[i] & 0xFF));
          }
          i++;
          counts.frame(type, methodStart, methodLength);
          remaining = -1;
        }
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5_000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, new FrameReader(toBroker, true));
        pump(upstream, client, new FrameReader(fromBroker, false));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private static void pump(Socket from, Socket to, FrameReader frames) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          out.write(buffer, 0, n);
          frames.feed(buffer, 0, n);
        }
      } catch (IOException | IllegalStateException e) {
        // a side closed the connection (or it was not AMQP 0-9-1)
      } finally {
        close(from);
        close(to);
      }
    }, "bench-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket socket : sockets) {
      close(socket);
    }
  }
}
