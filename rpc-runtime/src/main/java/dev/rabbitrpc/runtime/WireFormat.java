package dev.rabbitrpc.runtime;

/**
 * The body formats of wire protocol v1 and the content types that name them (docs/PROTOCOL.md):
 * plain text (no content type), JSON and CBOR. The request's content type chooses the format a
 * server reads and answers in.
 *
 * <p>Immutable and thread-safe.
 */
enum WireFormat {
  PLAIN(null),
  JSON("application/json"),
  CBOR("application/cbor");

  /** The {@code content_type} a message of this format carries; null for plain text. */
  final String contentType;

  WireFormat(String contentType) {
    this.contentType = contentType;
  }

  /**
   * The format a content type names, or null for one this version does not read. Absent or empty
   * is plain text; the media type is compared without case and without parameters
   * ({@code application/json; charset=utf-8} is JSON).
   */
  static WireFormat of(String contentType) {
    if (contentType == null || contentType.isEmpty()) {
      return PLAIN;
    }
    int parameters = contentType.indexOf(';');
    String type = (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim();
    if (type.equalsIgnoreCase(JSON.contentType)) {
      return JSON;
    }
    if (type.equalsIgnoreCase(CBOR.contentType)) {
      return CBOR;
    }
    return null;
  }

  /** The format of the reply to a request of this content type: its own, JSON for one this side cannot read. */
  static WireFormat ofReplyTo(String requestContentType) {
    WireFormat format = of(requestContentType);
    return format == null ? JSON : format;
  }

  /** The format a client sends in for an {@link dev.rabbitrpc.api.Encoding}; DEFAULT is JSON. */
  static WireFormat forEncoding(dev.rabbitrpc.api.Encoding encoding) {
    return encoding == dev.rabbitrpc.api.Encoding.CBOR ? CBOR : JSON;
  }

  @Override
  public String toString() {
    return contentType == null ? "plain text" : contentType;
  }

  /** For messages: the content type as a peer sent it, quoted. */
  static String describe(String contentType) {
    return "\"" + contentType + "\"";
  }
}
