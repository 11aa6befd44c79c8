package dev.rabbitrpc.test.example;

import dev.rabbitrpc.api.RpcService;

/** A user's service, as the README's "Testing your services" shows it. */
@RpcService(queue = "greeter")
public interface Greeter {
  String greet(String name);
}
