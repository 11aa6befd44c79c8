package dev.rabbitrpc.runtime;

import com.rabbitmq.client.ConnectionFactory;
import java.util.List;

/**
 * The client side's composition root: builds a client's parts from its settings, wired downward
 * only (transport → {@link ReplyListener}, pipeline → sender → transport and router), and shuts
 * them down in order. {@link RpcClient} owns one and adds proxies, servers and its public face.
 *
 * <p>Built once; its fields are final and the parts are thread-safe.
 */
final class ClientParts {
  final ClientTimer timer = new ClientTimer();
  final ClientWork work = new ClientWork();
  final LateReplies late = new LateReplies();
  final ReplyRouter router;
  /** Shared by the client's calls and its servers' replies: lowered to the broker's limit once it refused a message. */
  final MessageSizeLimit messageSizeLimit;
  final AmqpTransport transport;
  final ConsumerProbe probe;
  final CallEngine engine;

  ClientParts(ClientSettings<?> settings, ConnectionFactory factory, Codec codec, WireFormat defaultFormat) {
    Completions completions = new Completions(settings.executor);
    this.router = new ReplyRouter(new ReplyDecoder(codec, settings.remoteExceptions), late, completions,
        new QueueCounts(Deadline.SYSTEM_TICKER));
    this.messageSizeLimit = new MessageSizeLimit(settings.maxMessageSize);
    this.transport = new AmqpTransport(factory, settings.addresses, settings.connectionName, settings.channels, router,
        settings.timeout, messageSizeLimit, Deadline.SYSTEM_TICKER);
    this.probe = new ConsumerProbe(transport, router, timer);
    FormatRefused formats = new FormatRefused(defaultFormat);
    CorrelationIds ids = new CorrelationIds();
    Sender sender = new Sender(codec, settings.maxInFlight, messageSizeLimit, router, transport, probe::ensureStarted,
        formats, ids, settings.oneWayConfirms, settings.streamWindow);
    this.engine = new CallEngine(router, completions, timer, work, transport, sender, new RetryPolicy(formats), formats,
        ids, new CallDeadlines(router, timer), List.copyOf(settings.interceptors), Deadline.SYSTEM_TICKER);
  }

  /**
   * Stops what is left once the calls failed and the servers closed: the probe, the connection,
   * the timer and the workers, then fails the calls whose retry the timer dropped. Each step runs
   * whatever the one before threw: a close that stops half-way would leak the connection.
   */
  void shutdown() {
    try {
      probe.shutdown();
    } finally {
      try {
        transport.close();
      } finally {
        timer.shutdown();
        work.shutdown();
        engine.failWaiting(); // a retry scheduled while closing was dropped with the timer
      }
    }
  }
}
