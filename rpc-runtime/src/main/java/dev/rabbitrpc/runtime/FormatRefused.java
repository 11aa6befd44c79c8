package dev.rabbitrpc.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client's memory of queues whose server answered that it does not read CBOR
 * (docs/PROTOCOL.md, "Negotiation"), and the format each request is sent in: plain text for a
 * plain-text service; else the service's {@code @RpcService(encoding)}, else the client's; CBOR
 * only while its queue has not refused it. {@link RetryPolicy} records a refusal here.
 *
 * <p>Thread-safe: read by every sending thread, written by the thread that ends a refused attempt.
 */
final class FormatRefused {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(FormatRefused.class);

  /** The client's format (RpcClient.Builder.encoding), for services whose annotation chooses none. */
  private final WireFormat defaultFormat;
  /** Queues whose server answered that it does not read CBOR: sent JSON from then on. */
  private final Set<String> jsonOnlyQueues = ConcurrentHashMap.newKeySet();

  FormatRefused(WireFormat defaultFormat) {
    this.defaultFormat = defaultFormat;
  }

  /** The format of a request to {@code service}'s queue now. */
  WireFormat formatFor(ServiceDescriptor service, MethodDescriptor method) {
    if (method.plainText) {
      return WireFormat.PLAIN;
    }
    WireFormat chosen = service.encoding == dev.rabbitrpc.api.Encoding.DEFAULT ? defaultFormat
        : WireFormat.forEncoding(service.encoding);
    return chosen == WireFormat.CBOR && jsonOnlyQueues.contains(service.queue) ? WireFormat.JSON : chosen;
  }

  /** Remembers that {@code queue}'s server does not read CBOR: it gets JSON from now on. */
  void refused(String queue) {
    if (jsonOnlyQueues.add(queue)) {
      log.info("the server of queue {} does not read {}; this client sends it {} from now on", queue,
          WireFormat.CBOR, WireFormat.JSON);
    }
  }
}
