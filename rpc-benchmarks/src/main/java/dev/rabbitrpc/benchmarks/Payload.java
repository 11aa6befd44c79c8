package dev.rabbitrpc.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The value every peer sends and gets back: a record with a {@code String}, a {@code byte[]} and a
 * list field, so that the codec does real work for each kind of field. Safe to share between
 * threads as long as nobody writes to {@code data}; the harness never does.
 *
 * @param text a quarter of the nominal size, as ASCII characters
 * @param data half of the nominal size, as bytes (base64 in JSON)
 * @param items the last quarter, as 16-character strings
 */
public record Payload(String text, byte[] data, List<String> items) {

  /** A payload of about {@code bytes} bytes of field content; 16 bytes is a 16-character text alone. */
  public static Payload ofSize(int bytes) {
    if (bytes <= 16) {
      return new Payload("x".repeat(bytes), new byte[0], List.of());
    }
    int textChars = bytes / 4;
    byte[] data = new byte[bytes / 2];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    List<String> items = new ArrayList<>();
    for (int left = bytes - textChars - data.length; left >= 16; left -= 16) {
      items.add("item-" + String.format("%011d", items.size()));
    }
    return new Payload("t".repeat(textChars), data, List.copyOf(items));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Payload
        && text.equals(((Payload) other).text)
        && Arrays.equals(data, ((Payload) other).data)
        && items.equals(((Payload) other).items);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * text.hashCode() + Arrays.hashCode(data)) + items.hashCode();
  }

  @Override
  public String toString() {
    return "Payload[text=" + text.length() + " chars, data=" + data.length + " bytes, items=" + items.size() + "]";
  }
}
