package dev.rabbitrpc.api;

/**
 * The body format a client sends its requests in (docs/PROTOCOL.md, "Bodies" and "CBOR"). Servers
 * need no such setting: they read every format and answer each request in the one it came in.
 *
 * <p>Chosen per service with {@link RpcService#encoding()} and per client with
 * {@code RpcClient.Builder.encoding(...)}; the service's choice, when it makes one, wins.
 */
public enum Encoding {
  /**
   * On {@link RpcService#encoding()}: no choice, the client's applies. On a client: JSON.
   */
  DEFAULT,
  /** JSON, {@code content_type application/json}: what every peer reads. */
  JSON,
  /**
   * CBOR (RFC 8949), {@code content_type application/cbor}: the same values as JSON, in binary, and
   * {@code byte[]} as a byte string instead of base64 text; for large payloads. A client falls back
   * to JSON for a queue whose server does not read CBOR (docs/PROTOCOL.md, "Negotiation").
   */
  CBOR
}
