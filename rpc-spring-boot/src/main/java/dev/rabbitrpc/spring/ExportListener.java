package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.RpcServer;

/**
 * Told by {@link RpcExporter} of every server it exports, once that server is serving, on the thread
 * that starts the context; the exporter's beans, in {@code @Order}. How the Micrometer
 * auto-configuration binds {@code RpcServerMetrics} to the servers, which exist only once the context
 * starts. A listener that throws fails the start, as an export that fails does.
 */
@FunctionalInterface
interface ExportListener {
  /**
   * The server was exported.
   *
   * @param server the new server
   */
  void exported(RpcServer server);
}
