package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.json.JsonParserBase;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.std.PrimitiveArrayDeserializers;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Reads a {@code byte[]} from JSON's base64 text into a buffer sized by what it holds: Jackson's own
 * reader starts a 500-byte block for every value, even an empty one, which was a fifth of what a
 * client allocated per small call with a {@code byte[]} field. Anything but a string of a JSON text
 * parser (CBOR, trees, arrays of numbers, null) is read by Jackson's reader, so the rules are Jackson's: the same
 * base64 variant, and text that is not base64 refused ({@link InvalidFormatException}, as Jackson's).
 *
 * <p>Stateless and thread-safe: the codec's mappers share one.
 */
final class Base64Bytes extends StdDeserializer<byte[]> {
  private static final long serialVersionUID = 1L;
  private static final byte[] EMPTY = new byte[0];

  @SuppressWarnings("unchecked") // Jackson's deserializer for byte[] is one of byte[]
  private final JsonDeserializer<byte[]> jackson = (JsonDeserializer<byte[]>) PrimitiveArrayDeserializers.forType(byte.class);

  Base64Bytes() {
    super(byte[].class);
  }

  @Override
  public byte[] deserialize(JsonParser parser, DeserializationContext context) throws IOException {
    if (!parser.hasToken(JsonToken.VALUE_STRING) || !(parser instanceof JsonParserBase)) {
      return jackson.deserialize(parser, context); // not JSON text: CBOR, a tree, a token buffer
    }
    Bytes bytes = new Bytes();
    try {
      parser.readBinaryValue(context.getBase64Variant(), bytes);
    } catch (StreamReadException | IllegalArgumentException e) {
      // Jackson throws either for text that is not base64, part of it read: the text is not at hand.
      String why = e instanceof StreamReadException read ? read.getOriginalMessage() : e.getMessage();
      throw InvalidFormatException.from(parser, "Cannot deserialize value of type `byte[]` from a String that is not base64: "
          + why, null, byte[].class);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object getEmptyValue(DeserializationContext context) {
    return EMPTY;
  }

  /** What the parser decodes, in an array that grows by doubling from 64 bytes. Not thread-safe. */
  private static final class Bytes extends OutputStream {
    private byte[] buffer = EMPTY;
    private int size;

    @Override
    public void write(int b) {
      ensure(1);
      buffer[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int offset, int length) {
      ensure(length);
      System.arraycopy(b, offset, buffer, size, length);
      size += length;
    }

    private void ensure(int more) {
      if (size + more > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.max(size + more, Math.max(64, 2 * buffer.length)));
      }
    }

    byte[] toByteArray() {
      return size == 0 ? EMPTY : size == buffer.length ? buffer : Arrays.copyOf(buffer, size);
    }
  }
}
