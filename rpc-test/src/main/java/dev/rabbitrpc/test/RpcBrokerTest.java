package dev.rabbitrpc.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against a broker and injects {@link dev.rabbitrpc.runtime.RpcClient} and
 * {@link RpcBroker} parameters.
 *
 * <pre>{@code
 * @RpcBrokerTest
 * class GreeterTest {
 *   @Test
 *   void greets(RpcClient client) {
 *     client.export(Greeter.class, new FriendlyGreeter());
 *     Greeter greeter = client.proxy(Greeter.class);
 *     assertEquals("Hello, Ada", greeter.greet("Ada"));
 *   }
 * }
 * }</pre>
 *
 * <p>The broker is chosen once per JVM: {@code RPC_AMQP_URI} → RabbitMQ on localhost:5672 if it
 * answers → a RabbitMQ container if Docker is available → the embedded broker. The system property
 * (or JUnit configuration parameter) {@code rpc.test.broker} = {@code auto} (default),
 * {@code rabbitmq}, {@code testcontainers} or {@code embedded} forces a choice. The choice is logged.
 * See {@link RpcBrokerExtension}.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@ExtendWith(RpcBrokerExtension.class)
public @interface RpcBrokerTest {}
