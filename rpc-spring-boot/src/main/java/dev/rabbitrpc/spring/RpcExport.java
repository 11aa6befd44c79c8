package dev.rabbitrpc.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Exports a bean as a server of the {@code @RpcService} interface it implements.
 *
 * <pre>{@code
 * @Component
 * @RpcExport
 * class FibonacciServer implements FibonacciService { ... }
 *
 * @Bean
 * @RpcExport                       // or on the @Bean method, for a class that is not yours
 * FibonacciService fibonacci() { return new FibonacciServiceImpl(); }
 * }</pre>
 *
 * <p>The rule: a bean whose class, or the {@code @Bean} method that makes it, carries this annotation is served on the application's
 * {@code RpcClient}, on the queue its interface declares (or the one {@code rabbit-rpc.queues}
 * renames it to). The interface is the one the class implements that is annotated
 * {@code @RpcService}; a class implementing several names it in {@link #value()}. Beans without the
 * annotation are never exported, whatever they implement. Exports start when the application
 * context starts (a {@code SmartLifecycle}, after every bean is ready), fail its start-up if an
 * interface is invalid or the broker refuses or cannot be reached, and on shutdown stop taking
 * requests and finish those they hold within {@code rabbit-rpc.shutdown-grace}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RpcExport {
  /**
   * The service interface to export; empty means the one {@code @RpcService} interface the class
   * implements.
   *
   * @return the service interface, or nothing
   */
  Class<?>[] value() default {};
}
