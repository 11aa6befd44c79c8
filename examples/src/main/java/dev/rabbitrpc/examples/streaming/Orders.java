package dev.rabbitrpc.examples.streaming;

import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.api.Timeout;
import java.util.concurrent.Flow;
import java.util.stream.Stream;

/** A service that answers with many records: read them as they arrive, never one huge reply. */
@RpcService(queue = "order-export")
public interface Orders {
  /** The first {@code count} orders, streamed; closing the stream early cancels the rest. */
  @Timeout(value = 60_000, idle = 5_000)
  Stream<Order> export(int count);

  /** The same as a back-pressured {@code Flow.Publisher}: each subscription is a call of its own. */
  Flow.Publisher<Order> search(String customer);
}
