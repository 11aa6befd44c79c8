package dev.rabbitrpc.test.example;

/** The user's implementation of {@link Greeter}. */
public final class FriendlyGreeter implements Greeter {
  @Override
  public String greet(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a name, please");
    }
    return "Hello, " + name;
  }
}
