package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.Encoding;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * rabbit-rpc's own settings, under {@code rabbit-rpc.*}. The broker connection is not among them:
 * it is Spring Boot's ({@code spring.rabbitmq.*}, or the application's RabbitMQ
 * {@code ConnectionFactory} bean).
 *
 * <p>Bound once by Spring at start-up and read when the client is built; not thread-safe to change
 * afterwards, and changing it then has no effect.
 */
@ConfigurationProperties("rabbit-rpc")
public class RabbitRpcProperties {
  /** Deadline of calls whose method and interface have no @Timeout. */
  private Duration timeout = Duration.ofSeconds(30);

  /**
   * Workers per exported service: how many requests a server runs at once, each on a thread of its
   * own. Unset means rabbit-rpc's default: 8, or twice the available processors if that is more.
   */
  private Integer workers;

  /**
   * Requests an exported service takes from its queue at once, running or waiting for a worker.
   * Unset means adaptive: as many as the workers (a server never holds a request it cannot start
   * at once: RabbitMQ's fair dispatch), 8 times that while its handlers are all short, back at the
   * first slow one. Set, it is kept as set.
   */
  private Integer prefetch;

  /** Calls in flight at most; a call beyond fails at once with RESOURCE_EXHAUSTED. */
  private int maxInFlight = 50_000;

  /**
   * Whether exported services answer rpc.describe with their contract (what `rabbit-rpc describe`
   * and RpcClient.describe/verify ask); false makes it an unknown method.
   */
  private boolean describable = true;

  /**
   * Items a streaming call (Stream or Flow.Publisher method) lets its server send ahead of what the
   * reader took: what a stream buffers in this application at most.
   */
  private int streamWindow = 64;

  /**
   * Whether exported services declare the request queues that do not exist yet as quorum queues
   * instead of classic durable queues. A queue that exists is served as it is.
   */
  private boolean quorumQueues;

  /**
   * The format proxies send requests in, for services whose @RpcService(encoding) chooses none:
   * JSON (the default) or CBOR (binary; byte[] without base64). Servers read both whatever this says.
   */
  private Encoding encoding = Encoding.JSON;

  /**
   * How long stopping the application lets exported services finish the requests they hold, and
   * closing the client waits for them.
   */
  private Duration shutdownGrace = Duration.ofSeconds(10);

  /**
   * Queue renames, from the queue an interface's @RpcService declares (or its fully-qualified name)
   * to the queue this application serves and calls instead, for exports and imported clients alike:
   * one interface, several deployments. Keys with dots go in brackets, e.g.
   * {@code rabbit-rpc.queues[com.example.Greeter]=greeter-eu}.
   */
  private Map<String, String> queues = new LinkedHashMap<>();

  /**
   * The shards this application's exported services serve, per sharded service (by the queue its
   * @RpcService declares, as in {@code queues}), e.g. {@code rabbit-rpc.shards.orders=0,1}: its
   * servers then consume {@code orders.0} and {@code orders.1} only. A service not listed is served
   * on every shard.
   */
  private Map<String, java.util.List<Integer>> shards = new LinkedHashMap<>();

  /** Micrometer instrumentation of the auto-configured client, when rpc-micrometer is on the class path. */
  private final Observations observations = new Observations();

  /** Where exported services with @Deduplicated methods keep their replies (RabbitRpcReplyStoreAutoConfiguration). */
  private final ReplyStore replyStore = new ReplyStore();

  /** @return the default call timeout */
  public Duration getTimeout() {
    return timeout;
  }

  /** @param timeout the default call timeout */
  public void setTimeout(Duration timeout) {
    this.timeout = timeout;
  }

  /** @return workers per exported service, or null for rabbit-rpc's default */
  public Integer getWorkers() {
    return workers;
  }

  /** @param workers workers per exported service */
  public void setWorkers(Integer workers) {
    this.workers = workers;
  }

  /** @return requests a server takes from its queue at once, or null for the adaptive default */
  public Integer getPrefetch() {
    return prefetch;
  }

  /** @param prefetch requests a server takes from its queue at once */
  public void setPrefetch(Integer prefetch) {
    this.prefetch = prefetch;
  }

  /** @return calls in flight at most */
  public int getMaxInFlight() {
    return maxInFlight;
  }

  /** @return whether exported services describe themselves */
  public boolean isDescribable() {
    return describable;
  }

  /** @param describable whether exported services describe themselves */
  public void setDescribable(boolean describable) {
    this.describable = describable;
  }

  /** @return a streaming call's window, in items */
  public int getStreamWindow() {
    return streamWindow;
  }

  /** @param streamWindow a streaming call's window, in items */
  public void setStreamWindow(int streamWindow) {
    this.streamWindow = streamWindow;
  }

  /** @param maxInFlight calls in flight at most */
  public void setMaxInFlight(int maxInFlight) {
    this.maxInFlight = maxInFlight;
  }

  /** @return whether new request queues are quorum queues */
  public boolean isQuorumQueues() {
    return quorumQueues;
  }

  /** @return the format proxies send requests in */
  public Encoding getEncoding() {
    return encoding;
  }

  /** @param encoding the format proxies send requests in */
  public void setEncoding(Encoding encoding) {
    this.encoding = encoding;
  }

  /** @param quorumQueues whether new request queues are quorum queues */
  public void setQuorumQueues(boolean quorumQueues) {
    this.quorumQueues = quorumQueues;
  }

  /** @return how long exported services may take to drain on shutdown */
  public Duration getShutdownGrace() {
    return shutdownGrace;
  }

  /** @param shutdownGrace how long exported services may take to drain on shutdown */
  public void setShutdownGrace(Duration shutdownGrace) {
    this.shutdownGrace = shutdownGrace;
  }

  /** @return the queue renames, declared queue to actual queue */
  public Map<String, String> getQueues() {
    return queues;
  }

  /** @param queues the queue renames, declared queue to actual queue */
  public void setQueues(Map<String, String> queues) {
    this.queues = queues;
  }

  /** @return the shards served, per declared queue of a sharded service */
  public Map<String, java.util.List<Integer>> getShards() {
    return shards;
  }

  /** @param shards the shards served, per declared queue of a sharded service */
  public void setShards(Map<String, java.util.List<Integer>> shards) {
    this.shards = shards;
  }

  /** @return the Micrometer instrumentation's settings */
  public Observations getObservations() {
    return observations;
  }

  /** @return the reply store's settings */
  public ReplyStore getReplyStore() {
    return replyStore;
  }

  /**
   * {@code rabbit-rpc.reply-store.*}: the reply store of exported services with {@code @Deduplicated}
   * methods, when the application defines no {@code ReplyStore} bean.
   */
  public static class ReplyStore {
    /**
     * Which store: jdbc (a JdbcReplyStore on the application's DataSource; the default when it has
     * one), memory (an InMemoryReplyStore: correct only while one server process serves each queue)
     * or none.
     */
    private ReplyStoreType type;

    /** The JDBC store's table, optionally schema-qualified. */
    private String table = "rpc_replies";

    /** Whether the JDBC store creates its table and index when they are missing. */
    private boolean createTable = true;

    /** How often the JDBC store deletes expired replies; 0 for never. */
    private Duration purgeEvery = Duration.ofMinutes(10);

    /** @return the store's type, or null: jdbc if there is a DataSource, else none */
    public ReplyStoreType getType() {
      return type;
    }

    /** @param type the store's type */
    public void setType(ReplyStoreType type) {
      this.type = type;
    }

    /** @return the JDBC store's table */
    public String getTable() {
      return table;
    }

    /** @param table the JDBC store's table */
    public void setTable(String table) {
      this.table = table;
    }

    /** @return whether the JDBC store creates its table */
    public boolean isCreateTable() {
      return createTable;
    }

    /** @param createTable whether the JDBC store creates its table */
    public void setCreateTable(boolean createTable) {
      this.createTable = createTable;
    }

    /** @return how often the JDBC store deletes expired replies */
    public Duration getPurgeEvery() {
      return purgeEvery;
    }

    /** @param purgeEvery how often the JDBC store deletes expired replies; 0 for never */
    public void setPurgeEvery(Duration purgeEvery) {
      this.purgeEvery = purgeEvery;
    }
  }

  /** The kinds of {@code rabbit-rpc.reply-store.type}. */
  public enum ReplyStoreType {
    /** A {@code JdbcReplyStore} on the application's one {@code DataSource}. */
    JDBC,
    /** An {@code InMemoryReplyStore}: for one server process per queue. */
    MEMORY,
    /** No store: a service with {@code @Deduplicated} methods fails to export unless the application defines one. */
    NONE
  }

  /**
   * {@code rabbit-rpc.observations.*}: what {@code RabbitRpcObservationAutoConfiguration} adds when
   * rpc-micrometer is on the class path and the context has an {@code ObservationRegistry} (or a
   * {@code MeterRegistry}).
   */
  public static class Observations {
    /**
     * Whether the auto-configured client is instrumented with rpc-micrometer: client and server
     * observations, the MDC of handlers, the in-flight and retry meters, and the client's and
     * exported servers' own counts as meters.
     */
    private boolean enabled = true;

    /** @return whether the client is instrumented */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether the client is instrumented */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
