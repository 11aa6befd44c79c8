package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Sets the wire name of a service method; the default is the Java method name.
 *
 * <p>Wire names must be unique within a service, so overloaded Java methods need distinct
 * {@code @RpcMethod} names.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RpcMethod {
  /** The method's name on the wire. */
  String value();
}
