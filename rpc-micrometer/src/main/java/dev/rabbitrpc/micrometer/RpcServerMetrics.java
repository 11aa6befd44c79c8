package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.runtime.ServerStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * The requests a server answered without running them, as counters tagged
 * {@code messaging.destination.name} (the server's queue): {@code rabbit.rpc.server.requests.expired}
 * (their deadline had passed; {@link ServerStats#expiredRequests()}),
 * {@code rabbit.rpc.server.requests.cancelled} (their caller had cancelled them;
 * {@link ServerStats#cancelledRequests()}), {@code rabbit.rpc.server.requests.rejected} (by
 * {@code reason}), and for {@code @Deduplicated} methods {@code rabbit.rpc.server.replies.replayed}
 * (answered with the reply kept for an earlier attempt of the call; {@link ServerStats#replayedReplies()}),
 * {@code rabbit.rpc.server.requests.waited} (waited for an earlier attempt still running;
 * {@link ServerStats#inProgressWaits()}) and {@code rabbit.rpc.server.requests.busy} (that attempt
 * was still running at their deadline; {@link ServerStats#busyRequests()}). Replayed requests run
 * no handler, so they are not in the {@code rabbit.rpc.server} observation: these counters are
 * where they show. The meters hold the server weakly.
 *
 * <pre>{@code
 * new RpcServerMetrics(client.export(Orders.class, orders)).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RpcServerMetrics implements MeterBinder {
  private final RpcServer server;
  private final Tags tags;

  public RpcServerMetrics(RpcServer server) {
    this(server, Tags.empty());
  }

  public RpcServerMetrics(RpcServer server, Iterable<Tag> tags) {
    this.server = Objects.requireNonNull(server, "server");
    this.tags = Tags.of(tags).and(RabbitRpcObservation.LowCardinalityKeys.MESSAGING_DESTINATION_NAME.asString(),
        server.queue());
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    counter(registry, "rabbit.rpc.server.requests.expired", ServerStats::expiredRequests,
        "requests answered DEADLINE_EXCEEDED without running: their deadline had passed");
    counter(registry, "rabbit.rpc.server.requests.cancelled", ServerStats::cancelledRequests,
        "requests answered CANCELLED without running: their caller had cancelled them");
    for (ServerStats.Rejection why : ServerStats.Rejection.values()) {
      FunctionCounter.builder("rabbit.rpc.server.requests.rejected", server, s -> s.stats().rejectedRequests(why))
          .description("requests refused before any method ran: too large, unknown method, or unreadable")
          .tags(tags).tag("reason", why.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
    }
    counter(registry, "rabbit.rpc.server.replies.replayed", ServerStats::replayedReplies,
        "requests of @Deduplicated methods answered with the reply kept for an earlier attempt, without running");
    counter(registry, "rabbit.rpc.server.requests.waited", ServerStats::inProgressWaits,
        "requests of @Deduplicated methods that waited for an earlier attempt of their call still running");
    counter(registry, "rabbit.rpc.server.requests.busy", ServerStats::busyRequests,
        "requests of @Deduplicated methods answered DEADLINE_EXCEEDED: an earlier attempt was still running");
  }

  /** A counter of one of the server's {@link ServerStats}, read from a fresh snapshot. */
  private void counter(MeterRegistry registry, String name, ToLongFunction<ServerStats> count, String description) {
    FunctionCounter.builder(name, server, s -> count.applyAsLong(s.stats()))
        .description(description).tags(tags).register(registry);
  }
}
