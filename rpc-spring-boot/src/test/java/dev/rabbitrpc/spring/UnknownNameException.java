package dev.rabbitrpc.spring;

/** A declared exception of the test services, rethrown as its type on the client (so: public, with a (String) constructor). */
public final class UnknownNameException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * The exception.
   *
   * @param message what went wrong
   */
  public UnknownNameException(String message) {
    super(message);
  }
}
