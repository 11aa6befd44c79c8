package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The bodies of wire protocol v1 (docs/PROTOCOL.md): encoding and decoding of requests
 * {@code {"method":"fib","args":[30]}}, of successful replies (the bare result) and of error
 * replies {@code {"error":{"code":"…","type":"…","message":"…"}}}, in JSON or in CBOR: the same
 * map in either, written and read with Jackson's streaming API through the given mapper's factory
 * ({@link Codec#mapper(WireFormat)}; a {@code CBORFactory} is a {@code JsonFactory}).
 *
 * <p>Stateless and thread-safe.
 */
final class WireBody {
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  private WireBody() {}

  /** A decoded request: the method it names and its arguments, bound to the declared types. */
  record Request(MethodDescriptor method, Object[] args) {}

  static byte[] encodeRequest(ObjectMapper mapper, MethodDescriptor method, Object[] args) {
    try {
      return write(mapper, generator -> {
        int arity = method.arity();
        generator.writeStartObject(null, 2); // sizes known: CBOR writes definite lengths; JSON ignores them
        generator.writeStringField("method", method.wireName);
        generator.writeFieldName("args");
        generator.writeStartArray(null, arity);
        for (int i = 0; i < arity; i++) {
          method.argumentWriters[i].writeValue(generator, args[i]);
        }
        generator.writeEndArray();
        generator.writeEndObject();
      });
    } catch (IOException e) {
      throw new RpcException(Code.INVALID_ARGUMENT,
          "cannot encode the arguments of " + method.key + ": " + originalMessage(e), e);
    }
  }

  private interface BodyWriter {
    void writeTo(JsonGenerator generator) throws IOException;
  }

  /**
   * Writes a body with the factory's pooled buffers. The builder's first block comes from the
   * recycler and must go back to it ({@code getClearAndRelease}; {@code close()} does not return
   * it): otherwise every call allocates a fresh 2 KB block (docs/BENCHMARKS.md).
   */
  private static byte[] write(ObjectMapper mapper, BodyWriter body) throws IOException {
    JsonFactory factory = mapper.getFactory();
    BufferRecycler recycler = factory._getBufferRecycler();
    try {
      ByteArrayBuilder bytes = new ByteArrayBuilder(recycler);
      try (JsonGenerator generator = factory.createGenerator(bytes)) {
        body.writeTo(generator);
      }
      return bytes.getClearAndRelease();
    } finally {
      recycler.releaseToPool();
    }
  }

  /**
   * Decodes a request for a service.
   *
   * @throws RpcException {@code PROTOCOL} for a body that is not a v1 request, {@code UNKNOWN_METHOD},
   *     or {@code INVALID_ARGUMENT} when the arguments do not fit the method
   */
  static Request decodeRequest(ObjectMapper mapper, ServiceDescriptor service, byte[] body) {
    return decodeRequest(mapper, service, null, body);
  }

  /**
   * Like {@link #decodeRequest(ObjectMapper, ServiceDescriptor, byte[])}, where {@code protocolMethod},
   * if not null, is a method of the protocol's own (rpc.describe) the request may also name.
   */
  static Request decodeRequest(ObjectMapper mapper, ServiceDescriptor service, MethodDescriptor protocolMethod,
      byte[] body) {
    MethodDescriptor method = null;
    TokenBuffer earlyArgs = null;
    Object[] args = null;
    String format = mapper.getFactory().getFormatName();
    try (JsonParser parser = mapper.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw protocol(notARequest(format));
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        if ("method".equals(field)) {
          if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw protocol("\"method\" must be a string");
          }
          String name = parser.getText();
          method = service.forWireName(name);
          if (method == null && protocolMethod != null && protocolMethod.wireName.equals(name)) {
            method = protocolMethod;
          }
          if (method == null) {
            throw new RpcException(Code.UNKNOWN_METHOD,
                "service " + service.type.getSimpleName() + " has no method \"" + name + "\"");
          }
          if (earlyArgs != null) {
            try (JsonParser buffered = earlyArgs.asParser(parser.getCodec())) {
              buffered.nextToken();
              args = readArguments(buffered, method);
            }
            earlyArgs = null;
          }
        } else if ("args".equals(field)) {
          if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw protocol("\"args\" must be a " + format + " array");
          }
          if (method != null) {
            args = readArguments(parser, method);
          } else {
            // "args" before "method": keep the tokens until the types are known.
            earlyArgs = new TokenBuffer(parser);
            earlyArgs.copyCurrentStructure(parser);
          }
        } else {
          parser.skipChildren(); // unknown fields are ignored (forward compatibility)
        }
      }
      if (token != JsonToken.END_OBJECT) {
        throw protocol(notARequest(format));
      }
      if (parser.nextToken() != null) {
        throw protocol("trailing data after the request object");
      }
    } catch (StreamConstraintsException e) {
      throw tooLarge(e);
    } catch (StreamReadException e) {
      throw protocol("malformed " + format + ": " + originalMessage(e));
    } catch (DatabindException e) {
      if (exceedsLimits(e)) {
        throw tooLarge(e);
      }
      throw new RpcException(Code.INVALID_ARGUMENT,
          "invalid arguments" + (method == null ? "" : " for " + method.wireName) + ": " + originalMessage(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (method == null) {
      throw protocol("the request names no \"method\"");
    }
    if (args == null) {
      if (method.arity() != 0) {
        throw new RpcException(Code.INVALID_ARGUMENT,
            method.wireName + " takes " + method.arity() + " argument(s) but the request has no \"args\"");
      }
      args = new Object[0];
    }
    return new Request(method, args);
  }

  /** Whether a mapper writes JSON, whose results keep the method's own writer and reader (the hot path). */
  private static boolean isJson(ObjectMapper mapper) {
    return !(mapper.getFactory() instanceof com.fasterxml.jackson.dataformat.cbor.CBORFactory);
  }

  private static String notARequest(String format) {
    return "a request must be a " + format + (format.equals("JSON") ? " object" : " map")
        + " {\"method\":…,\"args\":[…]}";
  }

  /** Reads {@code [a, b, …]}; the parser is on START_ARRAY and is left on END_ARRAY. */
  private static Object[] readArguments(JsonParser parser, MethodDescriptor method) throws IOException {
    int arity = method.arity();
    Object[] args = new Object[arity];
    int count = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (count >= arity) {
        throw new RpcException(Code.INVALID_ARGUMENT,
            method.wireName + " takes " + arity + " argument(s) but the request has more");
      }
      try {
        args[count] = method.argumentReaders[count].readValue(parser);
      } catch (DatabindException | InputCoercionException e) {
        if (exceedsLimits(e)) {
          throw tooLarge(e);
        }
        throw new RpcException(Code.INVALID_ARGUMENT,
            "argument #" + (count + 1) + " of " + method.wireName + " is not a valid "
                + method.parameterTypes[count].toCanonical() + ": " + originalMessage(e));
      }
      count++;
    }
    if (count != arity) {
      throw new RpcException(Code.INVALID_ARGUMENT,
          method.wireName + " takes " + arity + " argument(s) but the request has " + count);
    }
    return args;
  }

  /** The body of a successful reply in JSON: the result ({@code null} for void methods). */
  static byte[] encodeResult(MethodDescriptor method, Object result) {
    if (method.returnsVoid) {
      return NULL.clone();
    }
    try {
      return method.resultWriter.writeValueAsBytes(result);
    } catch (JsonProcessingException e) {
      throw new RpcException(Code.INTERNAL,
          "cannot encode the result of " + method.wireName + ": " + originalMessage(e), e);
    }
  }

  /**
   * The body of a successful reply in the mapper's format ({@code null} for void methods). The
   * method's writer is the JSON mapper's; for CBOR it writes through the CBOR mapper's generator.
   */
  static byte[] encodeResult(ObjectMapper mapper, MethodDescriptor method, Object result) {
    if (isJson(mapper)) {
      return encodeResult(method, result);
    }
    try {
      if (method.returnsVoid) {
        return write(mapper, JsonGenerator::writeNull);
      }
      return write(mapper, generator -> method.resultWriter.writeValue(generator, result));
    } catch (IOException e) {
      throw new RpcException(Code.INTERNAL,
          "cannot encode the result of " + method.wireName + ": " + originalMessage(e), e);
    }
  }

  static byte[] encodeError(ObjectMapper mapper, Code code, String type, String message) {
    try {
      return write(mapper, generator -> {
        generator.writeStartObject(null, 1);
        generator.writeFieldName("error");
        generator.writeStartObject(null, type == null ? 2 : 3);
        generator.writeStringField("code", code.name());
        if (type != null) {
          generator.writeStringField("type", type);
        }
        generator.writeStringField("message", message == null ? "" : message);
        generator.writeEndObject();
        generator.writeEndObject();
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes the body of a JSON {@code OK} reply into the method's result type. */
  static Object decodeResult(MethodDescriptor method, byte[] body) {
    if (method.returnsVoid) {
      return null;
    }
    try {
      return method.resultReader.readValue(body);
    } catch (IOException e) {
      throw new RpcException(Code.PROTOCOL,
          method.key + ": the reply is not a valid " + method.resultType.toCanonical() + ": " + originalMessage(e), e);
    }
  }

  /** Decodes the body of an {@code OK} reply, in the mapper's format, into the method's result type. */
  static Object decodeResult(ObjectMapper mapper, MethodDescriptor method, byte[] body) {
    if (isJson(mapper) || method.returnsVoid) {
      return decodeResult(method, body);
    }
    try (JsonParser parser = mapper.createParser(body)) {
      return method.resultReader.readValue(parser);
    } catch (IOException e) {
      throw new RpcException(Code.PROTOCOL,
          method.key + ": the reply is not a valid " + method.resultType.toCanonical() + ": " + originalMessage(e), e);
    }
  }

  /**
   * Decodes a reply whose {@code rpc-status} is not {@code OK} into the exception the caller sees:
   * an {@link RpcException} with the remote code, or — for an {@code APPLICATION_ERROR} whose type
   * the method declares in {@code throws} — an instance of that type carrying the remote message.
   */
  static Throwable decodeFailure(ObjectMapper mapper, MethodDescriptor method, String status, byte[] body) {
    return decodeFailure(mapper, method, status, body, java.util.Set.of());
  }

  /**
   * As {@link #decodeFailure(ObjectMapper, MethodDescriptor, String, byte[])}, where the client may
   * also instantiate the {@code registered} exception types (RpcClient.Builder.remoteExceptions).
   */
  static Throwable decodeFailure(ObjectMapper mapper, MethodDescriptor method, String status, byte[] body,
      java.util.Set<Class<? extends Throwable>> registered) {
    if (status == null) {
      return new RpcException(Code.PROTOCOL, method.key + ": the reply has no " + WireHeaders.STATUS + " header");
    }
    Code code = codeOf(status);
    String type = null;
    String message = null;
    try (JsonParser parser = mapper.createParser(body)) {
      if (parser.nextToken() == JsonToken.START_OBJECT) {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if ("error".equals(field) && value == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
              String name = parser.currentName();
              JsonToken token = parser.nextToken();
              if (token == JsonToken.VALUE_STRING && "type".equals(name)) {
                type = parser.getText();
              } else if (token == JsonToken.VALUE_STRING && "message".equals(name)) {
                message = parser.getText();
              } else {
                parser.skipChildren();
              }
            }
          } else {
            parser.skipChildren();
          }
        }
      }
    } catch (IOException e) {
      message = "unreadable error body (" + originalMessage(e) + ")";
    }
    String text;
    if (code == Code.APPLICATION_ERROR) {
      text = method.key + " threw " + type + (message == null || message.isEmpty() ? "" : ": " + message);
    } else {
      text = method.key + ": " + (message == null ? status : message)
          + (code == Code.INTERNAL && !"INTERNAL".equals(status) ? " (remote status " + status + ")" : "");
    }
    RpcException failure = new RpcException(code, text, type, null);
    if (code == Code.APPLICATION_ERROR && type != null) {
      Throwable declared = DeclaredExceptions.rebuild(method, type, message, registered);
      if (declared != null) {
        try {
          declared.initCause(failure);
        } catch (IllegalStateException causeAlreadySet) {
          // keep the exception as its constructor made it
        }
        return declared;
      }
    }
    return failure;
  }

  /** The code an {@code rpc-status} names; {@code INTERNAL} for a code this version does not know. */
  static Code codeOf(String status) {
    try {
      return Code.valueOf(status);
    } catch (IllegalArgumentException unknown) {
      return Code.INTERNAL; // a code from a newer protocol version (docs/PROTOCOL.md, "Versioning")
    }
  }

  /** Whether a parse failed on a limit (nesting depth, string or number length), not on syntax. */
  static boolean exceedsLimits(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StreamConstraintsException) {
        return true;
      }
    }
    return false;
  }

  static RpcException tooLarge(Throwable e) {
    Throwable limit = e;
    while (!(limit instanceof StreamConstraintsException) && limit.getCause() != null) {
      limit = limit.getCause();
    }
    return new RpcException(Code.RESOURCE_EXHAUSTED, "the request exceeds a limit: " + originalMessage(limit));
  }

  private static RpcException protocol(String message) {
    return new RpcException(Code.PROTOCOL, message);
  }

  static String originalMessage(Throwable e) {
    if (e instanceof JsonProcessingException) {
      String original = ((JsonProcessingException) e).getOriginalMessage();
      int location = original == null ? -1 : original.indexOf("\n at [Source");
      String message = location < 0 ? original : original.substring(0, location);
      // Jackson's hint is about this side's configuration; to a remote peer it only misleads.
      return message == null ? null : message.replace(" (but might if coercion using `CoercionConfig` was enabled)", "");
    }
    return e.getMessage();
  }
}
