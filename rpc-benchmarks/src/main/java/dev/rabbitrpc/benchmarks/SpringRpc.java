package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.adapter.MessageListenerAdapter;
import org.springframework.amqp.support.converter.Jackson2JsonMessageConverter;
import org.springframework.amqp.support.converter.MessageConverter;

/**
 * Spring AMQP's request/reply, set up from plain objects (no application context) as its reference
 * documentation sets it up for RPC: a {@link CachingConnectionFactory} on each side, a
 * {@link SimpleMessageListenerContainer} with a {@link MessageListenerAdapter} on the server, a shared
 * {@link RabbitTemplate} with direct reply-to (its default) and a 30 s reply timeout on the client,
 * and Spring's Jackson 2 JSON converter on both sides, so that {@link Payload} travels as JSON.
 */
final class SpringRpc {
  /** The package whose classes the converters may instantiate from the {@code __TypeId__} header. */
  private static final String TRUSTED_PACKAGE = Payload.class.getPackageName();

  private SpringRpc() {}

  /** The spring-rabbit version the build put on the class path (from a resource Maven filters). */
  static String version() {
    Properties versions = new Properties();
    try (InputStream in = SpringRpc.class.getResourceAsStream("versions.properties")) {
      if (in != null) {
        versions.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return versions.getProperty("spring-rabbit", "unknown");
  }

  /** Spring's JSON converter, trusting the harness's own classes only. */
  static MessageConverter converter() {
    return new Jackson2JsonMessageConverter(TRUSTED_PACKAGE);
  }

  /**
   * A connection factory as Spring recommends: amqp-client's own automatic recovery off (Spring
   * recovers by itself), one named connection with cached channels.
   */
  static CachingConnectionFactory connectionFactory(ConnectionFactory rabbit, String connectionName) {
    rabbit.setAutomaticRecoveryEnabled(false);
    CachingConnectionFactory factory = new CachingConnectionFactory(rabbit);
    factory.setConnectionNameStrategy(ignored -> connectionName);
    return factory;
  }

  /**
   * The echo served by a listener container: {@code consumers} consumers with {@code prefetch}
   * unacknowledged requests each, {@link EchoService.Impl#echo} as the listener method.
   */
  static final class Server implements AutoCloseable {
    private final String queue;
    private final CachingConnectionFactory connectionFactory;
    private final SimpleMessageListenerContainer container;

    /** Declares {@code queue} through {@code declarer} as the harness declares its other queues, then starts. */
    Server(Connection declarer, ConnectionFactory rabbit, String queue, int consumers, int prefetch)
        throws IOException, TimeoutException {
      this.queue = queue;
      try (Channel channel = declarer.createChannel()) {
        // Consumed on another connection, so not exclusive; durable, since RabbitMQ 4.3 refuses transient shared queues.
        channel.queueDeclare(queue, true, false, true, null);
      }
      connectionFactory = connectionFactory(rabbit, "bench Spring listener container");
      MessageListenerAdapter listener = new MessageListenerAdapter(new EchoService.Impl(), converter());
      listener.setDefaultListenerMethod("echo");
      container = new SimpleMessageListenerContainer(connectionFactory);
      container.setBeanName("bench-server-spring-consumer"); // names its consumer threads
      container.setQueueNames(queue);
      container.setConcurrentConsumers(consumers);
      container.setPrefetchCount(prefetch);
      container.setMessageListener(listener);
      container.afterPropertiesSet();
      container.start();
    }

    String queue() {
      return queue;
    }

    @Override
    public void close() {
      try {
        container.stop();
        container.destroy();
      } finally {
        connectionFactory.destroy();
      }
    }
  }

  /** One {@link RabbitTemplate}, thread-safe and shared by every calling thread as Spring advises. */
  static final class Client implements AutoCloseable {
    private final CachingConnectionFactory connectionFactory;
    private final RabbitTemplate template;

    Client(ConnectionFactory rabbit) {
      connectionFactory = connectionFactory(rabbit, "bench RabbitTemplate");
      template = new RabbitTemplate(connectionFactory);
      // Names the reply container's threads so that the harness counts them as the client's.
      template.setBeanName("bench-client-spring-template");
      template.setMessageConverter(converter());
      template.setReplyTimeout(EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
      template.afterPropertiesSet();
    }

    RabbitTemplate template() {
      return template;
    }

    @Override
    public void close() {
      try {
        template.stop();
        template.destroy();
      } finally {
        connectionFactory.destroy();
      }
    }
  }
}
