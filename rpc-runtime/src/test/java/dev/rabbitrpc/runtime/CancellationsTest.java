package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.impl.LongStringHelper;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CancellationsTest {
  private final AtomicLong clock = new AtomicLong();
  private final Cancellations cancellations = new Cancellations(clock::get);

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  private static Map<String, Object> notice(Object id, Object key) {
    Map<String, Object> headers = new HashMap<>();
    headers.put(WireHeaders.CANCEL, id);
    headers.put(WireHeaders.CANCEL_KEY, key);
    return headers;
  }

  @Test
  void keysAre128BitsOfHexOnePerCorrelationId() {
    String key = CancelKeys.keyFor("5f1c09a2e7b4-1");
    assertTrue(key.matches("[0-9a-f]{32}"), key);
    assertEquals(key, CancelKeys.keyFor("5f1c09a2e7b4-1"));
    assertNotEquals(key, CancelKeys.keyFor("5f1c09a2e7b4-2"));
  }

  @Test
  void keysOfLongAndNonAsciiIdsAreStableAndTheSameOnEveryThread() throws Exception {
    String longId = "c".repeat(300);
    String accented = "corrélation-1";
    String[] onMain = {CancelKeys.keyFor(longId), CancelKeys.keyFor(accented), CancelKeys.keyFor("x")};
    for (String key : onMain) {
      assertTrue(key.matches("[0-9a-f]{32}"), key);
    }
    assertNotEquals(onMain[1], CancelKeys.keyFor("corr\u00e9lation-2"));
    String[] elsewhere = new String[3];
    Thread other = new Thread(() -> {
      elsewhere[0] = CancelKeys.keyFor(longId);
      elsewhere[1] = CancelKeys.keyFor(accented);
      elsewhere[2] = CancelKeys.keyFor("x");
    });
    other.start();
    other.join(10_000);
    assertArrayEquals(onMain, elsewhere, "one secret per process, whichever thread hashes");
    assertEquals(onMain[2], CancelKeys.keyFor("x"), "a thread's buffers, grown by a long id, still hash a short one alone");
  }

  @Test
  void aNoticeWithTheRequestsKeySkipsItOnce() {
    String key = CancelKeys.keyFor("c-1");
    cancellations.onNotice(notice(LongStringHelper.asLongString("c-1"), LongStringHelper.asLongString(key)));
    assertEquals(1, cancellations.rememberedCount());
    assertNull(cancellations.start("c-1", LongStringHelper.asLongString(key)), "skipped");
    assertEquals(0, cancellations.rememberedCount(), "forgotten once used");
    assertEquals(0, cancellations.rememberedBytes());
    assertNotNull(cancellations.start("c-1", key), "a second delivery of the same request runs");
  }

  @Test
  void aNoticeWithoutTheRequestsKeyDoesNotSkipIt() {
    String key = CancelKeys.keyFor("c-1");
    cancellations.onNotice(notice("c-1", null));
    cancellations.onNotice(notice("c-1", CancelKeys.keyFor("c-2")));
    cancellations.onNotice(notice("c-2", key));
    assertNotNull(cancellations.start("c-1", key));
    assertEquals(3, cancellations.noticesReceived());
  }

  @Test
  void aRequestWithoutAKeyCannotBeCancelled() {
    cancellations.onNotice(notice("c-1", CancelKeys.keyFor("c-1")));
    assertNotNull(cancellations.start("c-1", null));
    assertNotNull(cancellations.start("c-1", "not a key"));
  }

  @Test
  void idsLongerThanAnAmqpShortStringAreRefused() {
    String key = CancelKeys.keyFor("x");
    cancellations.onNotice(notice("x".repeat(256), key));
    cancellations.onNotice(notice(LongStringHelper.asLongString("x".repeat(100_000)), key));
    cancellations.onNotice(notice("é".repeat(128), key)); // 128 characters, 256 bytes
    cancellations.onNotice(notice("", key));
    cancellations.onNotice(notice(42, key));
    assertEquals(0, cancellations.rememberedCount());
    cancellations.onNotice(notice("x".repeat(255), key));
    assertEquals(1, cancellations.rememberedCount(), "255 bytes is a correlation id");
  }

  @Test
  void malformedKeysAreRefused() {
    String key = CancelKeys.keyFor("c-1");
    for (Object bad : new Object[] {key.toUpperCase(java.util.Locale.ROOT), key.substring(1), key + "0",
        "g".repeat(32), "é".repeat(16), 12345, LongStringHelper.asLongString("0".repeat(100_000))}) {
      cancellations.onNotice(notice("c-1", bad));
    }
    assertEquals(0, cancellations.rememberedCount());
  }

  @Test
  void rememberedNoticesStayWithinTheByteBoundOldestForgottenFirst() {
    String longId = "i".repeat(250);
    int count = 20_000;
    for (int i = 0; i < count; i++) {
      String id = i + longId.substring(Integer.toString(i).length());
      cancellations.onNotice(notice(id, CancelKeys.keyFor(id)));
      assertTrue(cancellations.rememberedBytes() <= Cancellations.MAX_REMEMBERED_BYTES);
    }
    assertTrue(cancellations.rememberedCount() < count, "some were forgotten");
    String oldest = 0 + longId.substring(1);
    String newest = (count - 1) + longId.substring(Integer.toString(count - 1).length());
    assertNotNull(cancellations.start(oldest, CancelKeys.keyFor(oldest)), "the oldest was forgotten");
    assertNull(cancellations.start(newest, CancelKeys.keyFor(newest)), "the newest is still effective");
  }

  @Test
  void noticesAreForgottenAfterSixtySeconds() {
    cancellations.onNotice(notice("old", CancelKeys.keyFor("old")));
    clock.addAndGet(Cancellations.REMEMBER_NANOS - 1);
    cancellations.onNotice(notice("young", CancelKeys.keyFor("young")));
    clock.addAndGet(1);
    assertNotNull(cancellations.start("old", CancelKeys.keyFor("old")), "60 s old: forgotten");
    assertEquals(1, cancellations.rememberedCount());
    clock.addAndGet(TimeUnit.SECONDS.toNanos(60));
    assertNotNull(cancellations.start("young", CancelKeys.keyFor("young")));
    assertEquals(0, cancellations.rememberedBytes());
  }

  @Test
  void duplicateNoticesAreRememberedOnce() {
    String key = CancelKeys.keyFor("c-1");
    cancellations.onNotice(notice("c-1", key));
    long bytes = cancellations.rememberedBytes();
    cancellations.onNotice(notice("c-1", key));
    assertEquals(1, cancellations.rememberedCount());
    assertEquals(bytes, cancellations.rememberedBytes());
  }

  @Test
  void onlyANoticeWithTheKeyInterruptsTheRunningHandler() {
    String key = CancelKeys.keyFor("c-1");
    Cancellations.Running running = cancellations.start("c-1", key);
    cancellations.onNotice(notice("c-1", null));
    cancellations.onNotice(notice("c-1", CancelKeys.keyFor("c-2")));
    assertFalse(Thread.currentThread().isInterrupted(), "forged notices interrupt nothing");
    cancellations.onNotice(notice("c-1", key));
    assertTrue(Thread.currentThread().isInterrupted(), "the genuine notice interrupts");
    cancellations.finish(running);
    assertFalse(Thread.currentThread().isInterrupted(), "cleared when the handler is done");
    assertEquals(1, cancellations.rememberedCount(), "the forged notice with a key, not the one that interrupted");
  }

  @Test
  void aNoticeAfterTheHandlerFinishedInterruptsNothing() {
    String key = CancelKeys.keyFor("c-1");
    cancellations.finish(cancellations.start("c-1", key));
    cancellations.onNotice(notice("c-1", key));
    assertFalse(Thread.currentThread().isInterrupted());
  }
}
