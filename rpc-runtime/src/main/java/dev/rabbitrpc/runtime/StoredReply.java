package dev.rabbitrpc.runtime;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A reply as a {@link ReplyStore} keeps it, to be sent again bit for bit: its {@code rpc-status}
 * ({@code OK} or an error code), its body in the request's format, and the application headers the
 * server's interceptors set on it.
 *
 * <p>Immutable and thread-safe: the body is copied in and out.
 *
 * @param status the reply's {@code rpc-status}
 * @param body the reply's body
 * @param headers its application headers (names not starting with {@code rpc-}), read-only
 */
public record StoredReply(String status, byte[] body, Map<String, String> headers) {
  public StoredReply {
    Objects.requireNonNull(status, "status");
    body = body.clone();
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof StoredReply that && status.equals(that.status) && Arrays.equals(body, that.body)
        && headers.equals(that.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, Arrays.hashCode(body), headers);
  }

  @Override
  public String toString() {
    return "StoredReply[" + status + ", " + body.length + " bytes, headers " + headers.keySet() + "]";
  }
}
