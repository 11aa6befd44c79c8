package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FibonacciServiceImplTest {
  @Test
  void computesTheTutorialsValues() {
    assertEquals(0, FibonacciServiceImpl.compute(0));
    assertEquals(1, FibonacciServiceImpl.compute(1));
    assertEquals(55, FibonacciServiceImpl.compute(10));
    assertEquals(832040, FibonacciServiceImpl.compute(30));
    assertEquals(1836311903, FibonacciServiceImpl.compute(46));
  }

  @Test
  void rejectsNumbersWhoseResultAnIntCannotHold() {
    FibonacciServiceImpl service = new FibonacciServiceImpl();
    assertThrows(IllegalArgumentException.class, () -> service.fib(-1));
    assertThrows(IllegalArgumentException.class, () -> service.fib(47));
  }
}
