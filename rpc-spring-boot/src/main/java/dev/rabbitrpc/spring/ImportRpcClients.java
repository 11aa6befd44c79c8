package dev.rabbitrpc.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Import;

/**
 * Registers client proxies of service interfaces as beans, made by the application's
 * {@code RpcClient}, so that they can be injected:
 *
 * <pre>{@code
 * @SpringBootApplication
 * @ImportRpcClients(types = FibonacciService.class)
 * class App { ... }
 *
 * @Service
 * class Calculator {
 *   Calculator(FibonacciService fib) { ... }   // calls the remote service
 * }
 * }</pre>
 *
 * <p>Each proxy is a bean named after its interface's fully-qualified name and marked primary: in an
 * application that also exports an implementation of the same interface (with {@link RpcExport}),
 * injecting the interface gives the proxy, and the implementation is injected by its class. A proxy
 * calls the queue its interface declares, or the one {@code rabbit-rpc.queues} renames it to. With
 * neither {@link #types()} nor a package given, the importing class's package is scanned. Proxies
 * are thread-safe.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Import(RpcClientsRegistrar.class)
public @interface ImportRpcClients {
  /**
   * Interfaces to make proxies of.
   *
   * @return the service interfaces
   */
  Class<?>[] types() default {};

  /**
   * Packages scanned, with their sub-packages, for interfaces annotated {@code @RpcService}.
   *
   * @return the package names
   */
  String[] basePackages() default {};

  /**
   * Like {@link #basePackages()}, naming each package by a class in it.
   *
   * @return classes whose packages are scanned
   */
  Class<?>[] basePackageClasses() default {};
}
