package dev.rabbitrpc.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class MdcServerInterceptorTest {
  @Test
  void readsTheTraceIdOfAW3cTraceparent() {
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736",
        MdcServerInterceptor.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  }

  @Test
  void ignoresWhatIsNotATraceparent() {
    assertNull(MdcServerInterceptor.traceId(null));
    assertNull(MdcServerInterceptor.traceId("garbage"));
    assertNull(MdcServerInterceptor.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    assertNull(MdcServerInterceptor.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  }
}
