package dev.rabbitrpc.spring;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.SocketFactory;

/**
 * The sockets of the context's broker connections, so that a test can make the broker unreachable
 * for real: {@link #refuse} new connections and {@link #cutAll} the open ones (amqp-client then
 * recovers, and keeps failing until connections are allowed again). Thread-safe.
 */
final class CuttableSockets extends SocketFactory {
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean refusing;

  void refuse(boolean refuse) {
    refusing = refuse;
  }

  void cutAll() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  @Override
  public Socket createSocket() throws IOException {
    if (refusing) {
      throw new IOException("the test makes the broker unreachable");
    }
    Socket socket = new Socket();
    sockets.add(socket);
    return socket;
  }

  // amqp-client creates unconnected sockets and connects them itself; these are never called.
  @Override
  public Socket createSocket(String host, int port) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Socket createSocket(InetAddress host, int port) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
    throw new UnsupportedOperationException();
  }
}
