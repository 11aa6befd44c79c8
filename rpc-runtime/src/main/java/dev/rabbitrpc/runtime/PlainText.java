package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The plain-text mode of wire protocol v1 (docs/PROTOCOL.md, "Plain-text mode"), spoken by
 * RabbitMQ's RPC tutorial: a message without {@code content_type} whose body is the bare argument
 * ({@code 30}) or the bare result ({@code 832040}) as UTF-8 text. Only a service with exactly one
 * method of one parameter can be called so.
 *
 * <p>A {@code String} value is the text itself; any other value is its JSON text, so numbers and
 * booleans read as the tutorial writes them. An error is the text {@code CODE: message}, with the
 * code also in the {@code rpc-status} header.
 *
 * <p>Stateless and thread-safe.
 */
final class PlainText {
  private static final byte[] EMPTY = new byte[0];

  private PlainText() {}

  /** A message is plain text when it has no content type; everything else is JSON. */
  static boolean isPlain(String contentType) {
    return contentType == null || contentType.isEmpty();
  }

  /** Client side: the body of a plain request. */
  static byte[] encodeArgument(MethodDescriptor method, Object argument) {
    try {
      return encode(method.parameterTypes[0].getRawClass(), argument, method.argumentWriters[0]);
    } catch (JsonProcessingException e) {
      throw new RpcException(Code.INVALID_ARGUMENT,
          "cannot encode the argument of " + method.key + ": " + WireBody.originalMessage(e), e);
    }
  }

  /** Server side: the argument of a plain request, bound to the method's parameter type. */
  static Object decodeArgument(MethodDescriptor method, byte[] body) {
    try {
      return decode(method.parameterTypes[0].getRawClass(), method.argumentReaders[0], body);
    } catch (CharacterCodingException e) {
      throw new RpcException(Code.INVALID_ARGUMENT, "the plain-text argument of " + method.wireName + " is not UTF-8");
    } catch (IOException e) {
      if (WireBody.exceedsLimits(e)) {
        throw WireBody.tooLarge(e); // as in JSON mode: too deep or too long is RESOURCE_EXHAUSTED
      }
      // Jackson's wording speaks of JSON tokens, which a plain-text peer never sent: quote the text instead.
      String text = new String(body, StandardCharsets.UTF_8);
      throw new RpcException(Code.INVALID_ARGUMENT, method.wireName + " takes a plain-text "
          + method.parameterTypes[0].toCanonical() + ", not \""
          + (text.length() > 64 ? text.substring(0, 64) + "…" : text) + "\"");
    }
  }

  /** Server side: the body of a plain reply; empty for a void method. */
  static byte[] encodeResult(MethodDescriptor method, Object result) {
    if (method.returnsVoid) {
      return EMPTY;
    }
    try {
      return encode(method.resultType.getRawClass(), result, method.resultWriter);
    } catch (JsonProcessingException e) {
      throw new RpcException(Code.INTERNAL,
          "cannot encode the result of " + method.wireName + ": " + WireBody.originalMessage(e), e);
    }
  }

  /** Client side: the result of a plain reply. */
  static Object decodeResult(MethodDescriptor method, byte[] body) {
    if (method.returnsVoid) {
      return null;
    }
    try {
      return decode(method.resultType.getRawClass(), method.resultReader, body);
    } catch (CharacterCodingException e) {
      throw new RpcException(Code.PROTOCOL, method.key + ": the plain-text reply is not UTF-8", e);
    } catch (IOException e) {
      throw new RpcException(Code.PROTOCOL, method.key + ": the plain-text reply is not a valid "
          + method.resultType.toCanonical() + ": " + WireBody.originalMessage(e), e);
    }
  }

  /** The body of a plain error reply: {@code CODE: type: message}, without the type when there is none. */
  static byte[] encodeError(Code code, String type, String message) {
    StringBuilder text = new StringBuilder(code.name()).append(": ");
    if (type != null) {
      text.append(type).append(": ");
    }
    text.append(message == null ? "" : message);
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Client side: the exception of a plain reply whose {@code rpc-status} is neither absent nor
   * {@code OK}. Its message is the reply's text; a remote type is not carried in plain mode.
   */
  static RpcException decodeFailure(MethodDescriptor method, String status, byte[] body) {
    Code code = WireBody.codeOf(status);
    String text = new String(body, StandardCharsets.UTF_8);
    return new RpcException(code, method.key + ": " + text
        + (code == Code.INTERNAL && !Code.INTERNAL.name().equals(status) ? " (remote status " + status + ")" : ""));
  }

  private static byte[] encode(Class<?> type, Object value, ObjectWriter writer) throws JsonProcessingException {
    if (type == String.class) {
      return value == null ? EMPTY : ((String) value).getBytes(StandardCharsets.UTF_8);
    }
    return writer.writeValueAsBytes(value);
  }

  private static Object decode(Class<?> type, ObjectReader reader, byte[] body) throws IOException {
    String text = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(body))
        .toString();
    if (type == String.class) {
      return text;
    }
    // The method's strict reader, but the whole body is one value: trailing text is an error here.
    return reader.with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(text);
  }
}
