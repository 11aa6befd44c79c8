package dev.rabbitrpc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-JVM TCP proxy between a client and the broker, to make network faults for real:
 * {@link #cut()} resets every connection through it; {@link #stall()} black-holes them (bytes are
 * held, not forwarded) until {@link #resume()}. New connections are accepted throughout unless
 * {@link #refuseNew(boolean)}.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Object gate = new Object();
  private volatile boolean stalled;
  private volatile boolean refuseNew;
  private volatile boolean closed;

  TcpProxy(String upstreamHost, int upstreamPort) throws IOException {
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        if (refuseNew) {
          reset(client);
          continue;
        }
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5_000);
        // As amqp-client's own sockets: without it, Nagle holds each small frame back until the
        // last one is acknowledged, which adds up to 40 ms to a round trip no real path would.
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          awaitNotStalled();
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the other side or cut() closed the connection
      } finally {
        reset(from);
        reset(to);
      }
    }, "tcp-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private void awaitNotStalled() throws InterruptedException {
    synchronized (gate) {
      while (stalled && !closed) {
        gate.wait(1_000); // re-checks closed at least once a second
      }
    }
  }

  /** Resets every connection through the proxy, as a broken network path does. */
  void cut() {
    for (Socket socket : sockets) {
      reset(socket);
    }
    sockets.clear();
  }

  /** Stops forwarding bytes in both directions: connections stay open but nothing arrives. */
  void stall() {
    stalled = true;
  }

  void resume() {
    synchronized (gate) {
      stalled = false;
      gate.notifyAll();
    }
  }

  void refuseNew(boolean refuse) {
    this.refuseNew = refuse;
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // RST, not FIN
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    resume();
    server.close();
    cut();
  }
}
