package dev.rabbitrpc.examples.spring;

/** Declared by {@link OrderService#quote}: the client gets it back as this type. */
public class OutOfStockException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * The exception.
   *
   * @param message which article
   */
  public OutOfStockException(String message) {
    super(message);
  }
}
