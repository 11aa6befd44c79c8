package dev.rabbitrpc.runtime;

import com.rabbitmq.client.ConnectionFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The executor a client gives its connection for the consumers: reply consumers and the servers'
 * intakes. It grows a thread per channel with work (idle ones end after 30 s), so a handler that
 * blocks, or waits for a nested call's reply, never starves another channel's consumer, as
 * amqp-client's default fixed pool of 2 x cores threads could. amqp-client never shuts down an
 * executor it was given: its owner does. Stateless.
 */
final class ConsumerThreads {
  private ConsumerThreads() {}

  static ExecutorService create(ConnectionFactory factory) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        threadFactory(factory));
  }

  /**
   * The factory's own thread factory if the application set one (amqp-client makes all its threads
   * with it, e.g. in a managed environment), else daemon threads named {@code rabbit-rpc-consumer-N}.
   */
  private static ThreadFactory threadFactory(ConnectionFactory factory) {
    ThreadFactory configured = factory.getThreadFactory();
    boolean jdkDefault = configured == null
        || configured.getClass().getName().equals("java.util.concurrent.Executors$DefaultThreadFactory");
    return jdkDefault ? Threads.daemon("rabbit-rpc-consumer") : configured;
  }
}
