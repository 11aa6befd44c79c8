package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.RpcClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;

/**
 * A client's own counts as meters: {@code rabbit.rpc.client.replies.dropped} (a counter of replies
 * that arrived for no waiting call: late, after the deadline, or unknown; {@link RpcClient#stats()})
 * {@code rabbit.rpc.client.pending} (a gauge of the calls waiting for a reply;
 * {@link RpcClient#stats()}) and {@code rabbit.rpc.client.replies.replayed} (a counter of replies to
 * {@code @Deduplicated} calls that the server had kept for an earlier attempt of the call and sent
 * again), with the tags given. The meters hold the client weakly.
 *
 * <pre>{@code
 * new RpcClientMetrics(client, Tags.of("client", "orders")).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RpcClientMetrics implements MeterBinder {
  private final RpcClient client;
  private final Tags tags;

  public RpcClientMetrics(RpcClient client) {
    this(client, Tags.empty());
  }

  public RpcClientMetrics(RpcClient client, Iterable<Tag> tags) {
    this.client = Objects.requireNonNull(client, "client");
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("rabbit.rpc.client.replies.dropped", client, c -> c.stats().droppedReplies())
        .description("replies that arrived for no waiting call (late or unknown)").tags(tags).register(registry);
    Gauge.builder("rabbit.rpc.client.pending", client, c -> c.stats().pendingCalls())
        .description("calls waiting for a reply").tags(tags).register(registry);
    FunctionCounter.builder("rabbit.rpc.client.replies.replayed", client, c -> c.stats().replayedReplies())
        .description("replies to @Deduplicated calls that the server kept for an earlier attempt and sent again")
        .tags(tags).register(registry);
  }
}
