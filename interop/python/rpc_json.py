#!/usr/bin/env python3
"""A peer of rabbit-rpc's wire protocol v1, written from docs/PROTOCOL.md alone.

The JSON codec needs only the standard library, CBOR (content_type application/cbor) needs cbor2
(Debian's python3-cbor2); the client and the server use pika 1.x. Without cbor2, or with
--json-only, the server is a JSON-only peer: it answers a CBOR request PROTOCOL, in JSON, as peers
that predate CBOR do (docs/PROTOCOL.md, "Negotiation").

Usage:
  rpc_json.py call [--cbor] [--call-key KEY] QUEUE METHOD [ARG_JSON ...]
                                                          print the result as JSON (exit 0), or the error (exit 1);
                                                          --call-key sends rpc-call-key KEY, and a reply the server
                                                          replayed for an earlier call with KEY adds a line "replayed"
  rpc_json.py serve [--json-only] QUEUE                   serve a Fibonacci service (fib(n)) until killed
  rpc_json.py shard QUEUE SHARDS KEY_JSON                 print the queue a call with that @ShardKey goes to
  rpc_json.py describe QUEUE                              print the contract of the service on QUEUE (rpc.describe) as JSON
  rpc_json.py stream [--window W] [--take K] QUEUE METHOD [ARG_JSON ...]
                                                          print a streaming method's items, one JSON per line, then
                                                          "end N" (exit 0), or the error after the items (exit 1);
                                                          --take K gives the stream up after K items (a cancel)

Streaming replies (docs/PROTOCOL.md, "Streaming replies"): Client.stream() is a generator of the items;
a server method is streaming when it is a generator function (or marked with @streaming), and
serve() sends its items against the caller's credit.

Describing a service (docs/PROTOCOL.md, "Describing a service"): the server answers rpc.describe with its
service's contract (parameter names from the functions, schemas from the declared types; no timeouts,
no declared exceptions); Service(..., describable=False) answers it UNKNOWN_METHOD.

Replayed replies (docs/PROTOCOL.md, "Replayed replies"): Client.call(..., call_key=KEY) sends rpc-call-key,
so that a server that keeps replies runs the call at most once and answers a repeated request with the
kept reply (rpc-replayed: true; Client.call_keyed() says whether it was). The server here keeps no
replies, which the protocol allows: it checks an rpc-call-key's form (PROTOCOL if not a string of 1 to
200 characters) and otherwise ignores it.

The broker is $RPC_AMQP_URI, default amqp://guest:guest@localhost:5672.
"""
import io
import json
import os
import sys
import time
import uuid
import zlib
import enum
import inspect

try:
    import cbor2
except ImportError:  # a JSON-only peer
    cbor2 = None

PROTOCOL_VERSION = 1
CONTENT_TYPE = "application/json"
CBOR_CONTENT_TYPE = "application/cbor"
# The reserved method every rabbit-rpc server answers with its service's contract (PROTOCOL.md, "Describing a service").
DESCRIBE = "rpc.describe"
CODES = ("DEADLINE_EXCEEDED", "UNAVAILABLE", "CANCELLED", "INVALID_ARGUMENT", "UNKNOWN_METHOD",
         "APPLICATION_ERROR", "RESOURCE_EXHAUSTED", "INTERNAL", "PROTOCOL", "UNAUTHENTICATED",
         "PERMISSION_DENIED")
DEFAULT_URI = "amqp://guest:guest@localhost:5672"
# Cancel notices (docs/PROTOCOL.md §7): a direct exchange, routing key = the request queue.
CANCEL_EXCHANGE = "rabbit-rpc.cancel-by-queue"
DEFAULT_STREAM_WINDOW = 32
MAX_CALL_KEY_CHARS = 200  # rpc-call-key: 1 to 200 characters (PROTOCOL.md, "Headers")


class RpcError(Exception):
    """A failed call: a code from CODES, a message, and for APPLICATION_ERROR the remote type."""

    def __init__(self, code, message, type=None, expired_ms=None):
        super().__init__("%s: %s%s" % (code, type + ": " if type else "", message))
        self.code = code
        self.message = message
        self.type = type
        self.expired_ms = expired_ms
        self.replayed = False  # the reply was kept for an earlier request with the same rpc-call-key  # a request not run because its deadline had passed this long before


def shard_key_text(key):
    """A shard key's canonical text (docs/PROTOCOL.md, "Sharded services"): a str as it is, an int in
    decimal, a UUID in lower case, an enum member by its name."""
    if isinstance(key, bool):
        raise TypeError("not a shard key: %r" % (key,))
    if isinstance(key, str):
        return key
    if isinstance(key, int):
        return str(key)
    if isinstance(key, uuid.UUID):
        return str(key)
    if isinstance(key, enum.Enum):
        return key.name
    raise TypeError("not a shard key: %r" % (key,))


def shard_of(key, shards):
    """The shard of a key among `shards`: CRC-32 (zlib's) of its canonical text's UTF-8 bytes, mod the count."""
    return zlib.crc32(shard_key_text(key).encode("utf-8", "replace")) % shards


def shard_queue(queue, shard):
    """The queue of shard `shard` of a service on `queue`; a service of one shard uses `queue` itself."""
    return "%s.%d" % (queue, shard)


def to_json(value):
    """Compact JSON as UTF-8, as the protocol's examples are written."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_cbor(value):
    """CBOR (RFC 8949): the same map as JSON; bytes as a byte string."""
    return cbor2.dumps(value)


def from_cbor(body):
    """One CBOR data item and nothing after it, or raises ValueError."""
    stream = io.BytesIO(body)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except Exception as e:  # cbor2's decode errors, truncated input
        raise ValueError(str(e))
    if stream.read(1):
        raise ValueError("trailing data after the CBOR data item")
    return value


def content_format(content_type):
    """None for plain text, "json", "cbor" (when this peer reads it), or "unknown"."""
    if not content_type:
        return None
    media = content_type.split(";")[0].strip().lower()
    if media == CONTENT_TYPE:
        return "json"
    if media == CBOR_CONTENT_TYPE and cbor2 is not None and not JSON_ONLY:
        return "cbor"
    return "unknown"


JSON_ONLY = False  # serve --json-only: behave as a peer that predates CBOR


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# ---- client side -------------------------------------------------------------------------------

def encode_request(method, args, cbor=False):
    request = {"method": method, "args": list(args)}
    return to_cbor(request) if cbor else to_json(request)


def request_headers(timeout_ms, now_ms=None, call_key=None):
    """A request's headers; with call_key, rpc-call-key (the same on every attempt of one call)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    headers = {"rpc-protocol": PROTOCOL_VERSION, "rpc-deadline": now_ms + timeout_ms}
    if call_key is not None:
        if not (isinstance(call_key, str) and 1 <= len(call_key) <= MAX_CALL_KEY_CHARS):
            raise ValueError("a call key is a string of 1 to %d characters, got %r" % (MAX_CALL_KEY_CHARS, call_key))
        headers["rpc-call-key"] = call_key
    return headers


def is_replayed(headers):
    """Whether a reply is the one a server kept for an earlier request with the same rpc-call-key (rpc-replayed)."""
    return (headers or {}).get("rpc-replayed") is True


def stream_request_headers(timeout_ms, window, idle_ms, cancel_key, now_ms=None):
    """A streaming request's headers: a request's, the window, the idle timeout and the cancel key
    (which the control messages carry)."""
    headers = request_headers(timeout_ms, now_ms)
    headers.update({"rpc-cancel-key": cancel_key, "rpc-stream-window": window, "rpc-stream-idle-ms": idle_ms})
    return headers


def decode_reply(headers, body, plain=False, content_type=None):
    """The result of a reply (for plain replies: its text), or raises RpcError. A reply whose
    content_type is application/cbor is read as CBOR, any other non-plain one as JSON."""
    headers = headers or {}
    version = headers.get("rpc-protocol")
    if version is not None and not (_is_int(version) and version == PROTOCOL_VERSION):
        raise RpcError("PROTOCOL", "the reply has rpc-protocol %r; this client speaks version 1" % (version,))
    status = _text(headers.get("rpc-status"))
    if plain and status in (None, "OK"):
        return body.decode("utf-8")  # the tutorial's servers send no headers at all
    cbor = (content_type or "").split(";")[0].strip().lower() == CBOR_CONTENT_TYPE
    if status == "OK":
        return from_cbor(body) if cbor else json.loads(body.decode("utf-8"))
    if status is None:
        raise RpcError("PROTOCOL", "the reply has no rpc-status header")
    code = status if status in CODES else "INTERNAL"  # a code from a newer version
    if plain:
        raise RpcError(code, body.decode("utf-8"))
    try:
        error = (from_cbor(body) if cbor else json.loads(body.decode("utf-8"))).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    raise RpcError(code, error.get("message", status), error.get("type"))


def decode_item(body, content_type=None):
    """A stream item's value: its body is encoded as the result of a successful reply."""
    cbor = (content_type or "").split(";")[0].strip().lower() == CBOR_CONTENT_TYPE
    return from_cbor(body) if cbor else json.loads(body.decode("utf-8"))


class StreamReader:
    """The caller's side of one stream (docs/PROTOCOL.md, "Streaming replies"), without I/O: it is fed
    the call's messages in order, checks them, and says when to grant credit (in halves of the window,
    as the reader takes items). Client.stream() drives it over the broker, check_vectors.py with the
    vectors' messages. Not thread-safe: one reader per stream."""

    def __init__(self, method, window):
        self.method = method
        self.window = window
        self.received = 0
        self.granted = window  # items the server may send in all: the window plus the credit granted since
        self.since_credit = 0
        self.control = None  # the server's control address: the items' reply_to
        self.ended = False

    def receive(self, headers, content_type, reply_to, body):
        """One message of the call: ("item", value), ("end", item count), or None for one to skip (a
        notice). Raises RpcError for the stream's error end, or when a check fails: an item out of
        sequence (UNAVAILABLE), beyond the window (PROTOCOL), an end whose count differs (PROTOCOL)."""
        headers = headers or {}
        seq = headers.get("rpc-stream-seq")
        if seq is None:
            if headers.get("rpc-notice") is not None and headers.get("rpc-status") is None:
                return None  # a notice this client did not ask for: ignored, as every unknown notice
            self.ended = True
            end = headers.get("rpc-stream-end")
            if end is not None and not (_is_int(end) and end == self.received):
                raise RpcError("PROTOCOL", "%s: the stream ended after %d items but its end says %r"
                               % (self.method, self.received, end))
            decode_reply(headers, body, content_type=content_type)  # raises its error: after the items before
            if end is None:  # an OK that is not a stream's end
                raise RpcError("PROTOCOL", "%s: the reply that ends the stream has no rpc-stream-end" % self.method)
            return "end", end
        if not (_is_int(seq) and seq == self.received):
            raise RpcError("UNAVAILABLE", "%s: stream item %r arrived after %d items (streams do not resume)"
                           % (self.method, seq, self.received))
        if self.received >= self.granted:
            raise RpcError("PROTOCOL", "%s: the server sent item %d beyond the window it was granted (%d items)"
                           % (self.method, seq, self.granted))
        self.received += 1
        self.control = _text(reply_to) or self.control
        return "item", decode_item(body, content_type)

    def took(self):
        """The reader took an item: the credit to grant now, or 0 (not yet half a window, or no control address)."""
        self.since_credit += 1
        if self.since_credit < max(1, self.window // 2) or not self.control:
            return 0
        credit, self.since_credit = self.since_credit, 0
        self.granted += credit
        return credit


class Client:
    """A JSON-protocol client on its own connection, with an exclusive server-named reply queue."""

    def __init__(self, uri=None):
        import pika
        self._pika = pika
        self.connection = pika.BlockingConnection(pika.URLParameters(uri or os.environ.get("RPC_AMQP_URI", DEFAULT_URI)))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare(queue="", exclusive=True).method.queue
        self.channel.basic_consume(queue=self.reply_queue, on_message_callback=self._on_reply, auto_ack=True)
        self._replies = {}
        self._pending = set()  # the correlation ids of calls waiting for their reply
        self._streams = {}  # correlation_id -> the messages of a stream not yet read

    def _on_reply(self, channel, method, properties, body):
        stream = self._streams.get(properties.correlation_id)
        if stream is not None:
            stream.append((properties, body))  # items and the end, in order
        elif properties.correlation_id in self._pending:
            self._replies[properties.correlation_id] = (properties, body)
        # else: for a call given up (a late reply, a cancelled stream's items and end): dropped

    def stream(self, queue, method, args, window=DEFAULT_STREAM_WINDOW, idle_ms=None, timeout_ms=30000, cbor=False):
        """A streaming call (docs/PROTOCOL.md, "Streaming replies"): a generator of the items, in order.
        Grants the server credit in halves of the window as the items are taken; raises RpcError after
        the items before it when the stream ends with an error, an item is out of sequence (UNAVAILABLE)
        or beyond the window (PROTOCOL), the end's count differs from the items received (PROTOCOL), or
        nothing came for idle_ms (default: the whole timeout) or the deadline passed (DEADLINE_EXCEEDED).
        Closing the generator early gives the stream up: rpc-stream-cancel to the server's control queue,
        and a cancel notice. The generator's return value (StopIteration.value) is the item count."""
        if not (_is_int(window) and window >= 1):
            raise ValueError("window must be an integer >= 1, got %r" % (window,))
        idle_ms = timeout_ms if idle_ms is None else idle_ms
        if not (_is_int(idle_ms) and idle_ms >= 1):
            raise ValueError("idle_ms must be an integer >= 1, got %r" % (idle_ms,))
        correlation_id = uuid.uuid4().hex
        cancel_key = uuid.uuid4().hex  # 32 lowercase hex digits, unpredictable (PROTOCOL.md §7)
        headers = stream_request_headers(timeout_ms, window, idle_ms, cancel_key)
        return self._read_stream(queue, method, args, window, idle_ms, timeout_ms, cbor, correlation_id, cancel_key,
                                 headers)

    def _read_stream(self, queue, method, args, window, idle_ms, timeout_ms, cbor, correlation_id, cancel_key, headers):
        """The generator behind stream(): sends the request at the first next()."""
        inbox = self._streams[correlation_id] = []
        reader = StreamReader(method, window)
        try:
            self.channel.basic_publish(
                exchange="", routing_key=queue, body=encode_request(method, args, cbor),
                properties=self._pika.BasicProperties(
                    content_type=CBOR_CONTENT_TYPE if cbor else CONTENT_TYPE, correlation_id=correlation_id,
                    reply_to=self.reply_queue, expiration=str(timeout_ms), headers=headers))
            deadline = time.monotonic() + timeout_ms / 1000.0
            while True:
                idle_ends = time.monotonic() + idle_ms / 1000.0
                while not inbox:
                    now = time.monotonic()
                    if now >= deadline:
                        raise RpcError("DEADLINE_EXCEEDED", "%s: the stream's deadline of %d ms passed after %d items"
                                       % (method, timeout_ms, reader.received))
                    if now >= idle_ends:
                        raise RpcError("DEADLINE_EXCEEDED", "%s: no stream item for %d ms (the idle timeout) after %d items"
                                       % (method, idle_ms, reader.received))
                    self.connection.process_data_events(time_limit=min(deadline, idle_ends) - now)
                properties, body = inbox.pop(0)
                message = reader.receive(properties.headers, properties.content_type, properties.reply_to, body)
                if message is None:
                    continue
                kind, value = message
                if kind == "end":
                    return value
                yield value
                credit = reader.took()
                if credit:
                    self._control(reader.control, correlation_id, cancel_key, {"rpc-stream-credit": credit})
        finally:
            del self._streams[correlation_id]
            if not reader.ended and self.connection.is_open:
                if reader.control:
                    self._control(reader.control, correlation_id, cancel_key, {"rpc-stream-cancel": True})
                self.channel.exchange_declare(exchange=CANCEL_EXCHANGE, exchange_type="direct", durable=False,
                                              auto_delete=False)
                self.channel.basic_publish(
                    exchange=CANCEL_EXCHANGE, routing_key=queue, body=b"",
                    properties=self._pika.BasicProperties(expiration="60000", headers={
                        "rpc-cancel": correlation_id, "rpc-cancel-key": cancel_key}))

    def _control(self, control, correlation_id, cancel_key, what):
        """A stream control message (credit or cancel) to the server's control address, via the default exchange."""
        headers = {"rpc-protocol": PROTOCOL_VERSION, "rpc-cancel-key": cancel_key}
        headers.update(what)
        self.channel.basic_publish(exchange="", routing_key=control, body=b"", properties=self._pika.BasicProperties(
            correlation_id=correlation_id, headers=headers))

    def call(self, queue, method, args, timeout_ms=10000, cbor=False, call_key=None):
        """One call; with cbor=True the request is CBOR (this client does not fall back to JSON). With
        call_key, the request carries rpc-call-key: calling again with the same key (after a lost reply, or
        from a restarted process) gets the first call's reply from a server that keeps replies."""
        return self.call_keyed(queue, method, args, call_key, timeout_ms, cbor)[0]

    def call_keyed(self, queue, method, args, call_key, timeout_ms=10000, cbor=False):
        """As call(), and says whether the reply was replayed: (result, replayed). A replayed error is raised
        as RpcError, with .replayed set."""
        correlation_id = uuid.uuid4().hex
        self._pending.add(correlation_id)
        try:
            return self._call(queue, method, args, timeout_ms, cbor, correlation_id, call_key)
        finally:
            self._pending.discard(correlation_id)
            self._replies.pop(correlation_id, None)

    def _call(self, queue, method, args, timeout_ms, cbor, correlation_id, call_key):
        headers = request_headers(timeout_ms, call_key=call_key)
        self.channel.basic_publish(
            exchange="", routing_key=queue, body=encode_request(method, args, cbor),
            properties=self._pika.BasicProperties(
                content_type=CBOR_CONTENT_TYPE if cbor else CONTENT_TYPE, correlation_id=correlation_id,
                reply_to=self.reply_queue,
                expiration=str(timeout_ms), headers=headers))
        end = time.monotonic() + timeout_ms / 1000.0
        while correlation_id not in self._replies:
            left = end - time.monotonic()
            if left <= 0:
                raise RpcError("DEADLINE_EXCEEDED", "no reply within %d ms" % timeout_ms)
            self.connection.process_data_events(time_limit=min(left, 0.5))
        properties, body = self._replies.pop(correlation_id)
        replayed = is_replayed(properties.headers)
        try:
            return decode_reply(properties.headers, body, content_type=properties.content_type), replayed
        except RpcError as e:
            e.replayed = replayed
            raise

    def describe(self, queue, timeout_ms=10000):
        """The contract of the service on queue: an ordinary call of the reserved method rpc.describe.
        A server that does not describe itself answers UNKNOWN_METHOD (raised as RpcError)."""
        return self.call(queue, DESCRIBE, [], timeout_ms)

    def close(self):
        self.connection.close()


# ---- server side -------------------------------------------------------------------------------

class Service:
    """A service: its name (for messages) and methods, wire name -> (function, [parameter type]); results,
    wire name -> the result's type (a streaming method's: one item's), says what describe tells of them."""

    def __init__(self, name, methods, results=None, describable=True):
        self.name = name
        self.methods = methods
        self.results = results or {}
        self.describable = describable  # False: rpc.describe is UNKNOWN_METHOD, as any method the service lacks

    def plain_method(self):
        if len(self.methods) == 1:
            name, (function, types) = next(iter(self.methods.items()))
            if len(types) == 1:
                return name
        return None


LIBRARY = "rabbit-rpc-python-peer 1"
# The JSON Schema of each type a method's parameters and results may have here (PROTOCOL.md, "Describing a service").
_SCHEMAS = {int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"},
            str: {"type": "string"}, list: {"type": "array"}, dict: {"type": "object"},
            bytes: {"type": "string", "contentEncoding": "base64"}, type(None): {"type": "null"}}


def _schema(value_type):
    schema = _SCHEMAS.get(value_type)
    return dict(schema) if schema else {"description": "not described by this server: any value"}


def contract(service, queue):
    """The service's contract, the result of rpc.describe (PROTOCOL.md, "Describing a service"). This
    server has no timeouts, declared exceptions, one-way, idempotent or deduplicated methods, shards or
    plain-text methods; it takes plain-text requests when the service has one method of one argument."""
    methods = []
    for name in sorted(service.methods):
        function, types = service.methods[name]
        try:
            names = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            names = []
        if len(names) != len(types):
            names = ["arg%d" % i for i in range(len(types))]
        methods.append({
            "wireName": name, "javaName": function.__name__,
            "parameters": [{"name": n, "schema": _schema(t)} for n, t in zip(names, types)],
            "result": _schema(service.results[name]) if name in service.results else _schema(object),
            "exceptions": [], "oneWay": False, "idempotent": False, "plainText": False, "timeoutMillis": 0,
            "shardKey": None, "streaming": is_streaming(function), "idleMillis": 0,
            "deduplicated": False, "callKey": None, "retentionMillis": 0})
    return {"protocol": PROTOCOL_VERSION, "library": LIBRARY, "service": service.name, "queue": queue, "shards": 1,
            "queues": [queue],
            "encodings": [CONTENT_TYPE] if JSON_ONLY or cbor2 is None else [CONTENT_TYPE, CBOR_CONTENT_TYPE],
            "plainText": service.plain_method() is not None, "methods": methods}


def _check_argument(value, expected, position, method):
    valid = {int: _is_int, float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
             bool: lambda v: isinstance(v, bool), str: lambda v: isinstance(v, str),
             list: lambda v: isinstance(v, list), dict: lambda v: isinstance(v, dict),
             bytes: lambda v: isinstance(v, bytes)}[expected]
    if not valid(value):
        raise RpcError("INVALID_ARGUMENT", "argument #%d of %s is not a valid %s: %r"
                       % (position, method, expected.__name__, value))


def decode_request(service, body, cbor=False):
    """(method name, args) of a JSON (or CBOR) request, or raises RpcError."""
    try:
        request = from_cbor(body) if cbor else json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise RpcError("PROTOCOL", "malformed %s: %s" % ("CBOR" if cbor else "JSON", e))
    if not isinstance(request, dict):
        raise RpcError("PROTOCOL", 'a request must be a JSON object {"method":...,"args":[...]}')
    name = request.get("method")
    if not isinstance(name, str):
        raise RpcError("PROTOCOL", 'the request names no "method"')
    if name == DESCRIBE and service.describable:
        return name, []  # answered by the server itself; its arguments, if any, are ignored
    if name not in service.methods:
        raise RpcError("UNKNOWN_METHOD", 'service %s has no method "%s"' % (service.name, name))
    function, types = service.methods[name]
    args = request.get("args", [])  # other fields are ignored: forward compatibility
    if not isinstance(args, list):
        raise RpcError("PROTOCOL", '"args" must be a JSON array')
    if len(args) != len(types):
        raise RpcError("INVALID_ARGUMENT", "%s takes %d argument(s) but the request has %d" % (name, len(types), len(args)))
    for i, (value, expected) in enumerate(zip(args, types)):
        _check_argument(value, expected, i + 1, name)
    return name, args


def _plain_request(service, body):
    name = service.plain_method()
    if name is None:
        raise RpcError("PROTOCOL", "a plain-text request (no content_type) needs a service with exactly one method "
                                   "of one argument; send JSON (content_type application/json)")
    expected = service.methods[name][1][0]
    text = body.decode("utf-8")
    if expected is str:
        return name, [text]
    try:
        value = json.loads(text)
        _check_argument(value, expected, 1, name)
    except (ValueError, RpcError):
        raise RpcError("INVALID_ARGUMENT", '%s takes a plain-text %s, not "%s"' % (name, expected.__name__, text[:64]))
    return name, [value]


def reply_headers(status, expired_ms=None):
    """A reply's headers; rpc-expired-ms on a request skipped because its deadline had passed."""
    headers = {"rpc-protocol": PROTOCOL_VERSION, "rpc-status": status}
    if expired_ms is not None:
        headers["rpc-expired-ms"] = expired_ms
    return headers


def streaming(function):
    """Marks a method as streaming: it returns an iterable of items, sent one message each (a generator
    function needs no mark: it streams)."""
    function.rpc_streaming = True
    return function


def is_streaming(function):
    return getattr(function, "rpc_streaming", False) or inspect.isgeneratorfunction(function)


def stream_item_headers(seq):
    """The headers of stream item `seq` (its properties: the request's content_type and correlation_id,
    reply_to = the server's control address)."""
    return {"rpc-protocol": PROTOCOL_VERSION, "rpc-stream-seq": seq}


def _cancel_key(headers):
    """A request's rpc-cancel-key if well formed (32 lowercase hex digits), else None."""
    key = _text((headers or {}).get("rpc-cancel-key"))
    return key if isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key) else None


class StreamOut:
    """The server's side of one stream (docs/PROTOCOL.md, "Streaming replies"): the credit left and
    whether the caller gave up. send(seq, body) publishes an item (its content_type is the request's);
    wait(seconds) takes control messages (grant, cancel) for at most that long. Single-threaded: serve()
    calls grant and cancel from wait, on the thread that produces."""

    def __init__(self, send, wait, key=None):
        self.send = send
        self.wait = wait
        self.key = key  # the request's cancel key: control messages must carry it (any, if None)
        self.credit = 0
        self.cancelled = False

    def grant(self, items):
        self.credit += items

    def cancel(self):
        self.cancelled = True

    def await_credit(self, method, sent, idle_ms, deadline_ms):
        """Returns once one more item may be sent; raises RpcError CANCELLED, or DEADLINE_EXCEEDED when
        the deadline passed or no credit came for idle_ms."""
        self.wait(0)  # a cancel is seen at the next item even with credit left
        idle_ends = time.monotonic() + idle_ms / 1000.0
        while True:
            if self.cancelled:
                raise RpcError("CANCELLED", "%s: the caller gave the stream up after %d items" % (method, sent))
            now_ms = int(time.time() * 1000)
            if deadline_ms is not None and now_ms >= deadline_ms:
                raise RpcError("DEADLINE_EXCEEDED", "%s: the stream's deadline passed after %d items" % (method, sent))
            if self.credit > 0:
                self.credit -= 1
                return
            left = idle_ends - time.monotonic()
            if left <= 0:
                raise RpcError("DEADLINE_EXCEEDED", "%s: the caller asked for no stream item for %d ms (its idle "
                                                    "timeout) after %d items" % (method, idle_ms, sent))
            if deadline_ms is not None:
                left = min(left, (deadline_ms - now_ms) / 1000.0)
            self.wait(max(0.001, min(left, 0.5)))


def _stream(function, args, name, encode, headers, deadline, out):
    """Runs a streaming method: its items against the caller's credit, then the end's
    (rpc-stream-end, status, error or None)."""
    window = headers.get("rpc-stream-window")
    idle = headers.get("rpc-stream-idle-ms")
    idle_ms = idle if _is_int(idle) and idle >= 1 else 30000
    out.grant(window)
    sent = 0
    items = None
    try:
        items = iter(function(*args))
        for item in items:
            body = encode(item)
            out.await_credit(name, sent, idle_ms, deadline)
            out.send(sent, body)
            sent += 1
        return sent, "OK", None
    except RpcError as e:
        return sent, e.code, e
    except Exception as e:  # the implementation failed mid-stream: an application error after the items before
        return sent, "APPLICATION_ERROR", RpcError("APPLICATION_ERROR", str(e), type(e).__name__)
    finally:
        if hasattr(items, "close"):
            items.close()  # a generator stopped early runs its finally blocks


def dispatch(service, content_type, headers, body, now_ms=None, stream=None, queue=None):
    """Answers one request: returns (rpc-status, content_type or None, body, reply headers), in the request's
    format. For a streaming method, `stream` (a StreamOut) sends the items first, and the reply returned
    is the stream's end, with rpc-stream-end."""
    fmt = content_format(content_type)
    plain = fmt is None
    if fmt == "unknown":  # not run; answered in JSON, which every peer reads
        return "PROTOCOL", CONTENT_TYPE, to_json({"error": {"code": "PROTOCOL", "message": (
            'unsupported content_type "%s"; this server reads application/json%s and plain text (no content_type)'
            % (content_type, "" if cbor2 is None or JSON_ONLY else ", application/cbor"))}}), reply_headers("PROTOCOL")
    encode, reply_type = (to_cbor, CBOR_CONTENT_TYPE) if fmt == "cbor" else (to_json, CONTENT_TYPE)
    headers = headers or {}
    try:
        version = headers.get("rpc-protocol")
        if version is not None and not (_is_int(version) and version == PROTOCOL_VERSION):
            raise RpcError("PROTOCOL", "unsupported rpc-protocol %s; this server speaks version 1" % (version,))
        deadline = headers.get("rpc-deadline")
        if deadline is not None and not (_is_int(deadline) and deadline > 0):
            raise RpcError("PROTOCOL", "rpc-deadline must be a positive integer (epoch milliseconds)")
        # This server keeps no replies, so it runs every request; it still refuses a malformed key, as Java does.
        call_key = _text(headers.get("rpc-call-key"))
        if call_key is not None and not (isinstance(call_key, str) and 1 <= len(call_key) <= MAX_CALL_KEY_CHARS):
            raise RpcError("PROTOCOL", "rpc-call-key must be a string of 1 to %d characters" % MAX_CALL_KEY_CHARS)
        name, args = _plain_request(service, body) if plain else decode_request(service, body, fmt == "cbor")
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        if deadline is not None and now_ms >= deadline:
            raise RpcError("DEADLINE_EXCEEDED", "the deadline passed before the server ran %s" % name,
                           expired_ms=now_ms - deadline)
        if name == DESCRIBE:
            return "OK", reply_type, encode(contract(service, queue)), reply_headers("OK")
        function = service.methods[name][0]
        if is_streaming(function):
            if plain:
                raise RpcError("PROTOCOL", "%s streams its items: a plain-text request cannot read them" % name)
            window = headers.get("rpc-stream-window")
            if not (_is_int(window) and window >= 1):
                raise RpcError("PROTOCOL", "%s is a streaming method: the request needs rpc-stream-window, an "
                                           "integer >= 1" % name)
            if stream is None:
                raise RpcError("PROTOCOL", "%s is a streaming method: its request must carry a correlation_id" % name)
            count, status, error = _stream(function, args, name, encode, headers, deadline, stream)
            end = reply_headers(status)
            end["rpc-stream-end"] = count
            if error is None:
                return "OK", reply_type, encode(None), end
            fields = {"code": error.code}
            if error.type:
                fields["type"] = error.type
            fields["message"] = error.message
            return status, reply_type, encode({"error": fields}), end
        try:
            result = function(*args)
        except RpcError:
            raise
        except Exception as e:  # the implementation failed: an application error, never a traceback
            raise RpcError("APPLICATION_ERROR", str(e), type(e).__name__)
        if plain:
            return "OK", None, (b"" if result is None else result.encode("utf-8") if isinstance(result, str) else to_json(result)), reply_headers("OK")
        return "OK", reply_type, encode(result), reply_headers("OK")
    except RpcError as e:
        if plain:
            return e.code, None, ("%s: %s" % (e.code, (e.type + ": " if e.type else "") + e.message)).encode("utf-8"), reply_headers(e.code, e.expired_ms)
        error = {"code": e.code}
        if e.type:
            error["type"] = e.type
        error["message"] = e.message
        return e.code, reply_type, encode({"error": error}), reply_headers(e.code, e.expired_ms)


def serve(service, queue, uri=None, ready=None):
    """Serves a service on a queue until the process ends. As docs/PROTOCOL.md says servers declare
    request queues: an existing queue is served as it is; a missing one is declared durable."""
    import pika
    connection = pika.BlockingConnection(pika.URLParameters(uri or os.environ.get("RPC_AMQP_URI", DEFAULT_URI)))
    channel = connection.channel()
    try:
        channel.queue_declare(queue=queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as e:
        if e.reply_code != 404:
            raise
        channel = connection.channel()  # the 404 closed the channel
        channel.queue_declare(queue=queue, durable=True, exclusive=False, auto_delete=False)
    channel.basic_qos(prefetch_count=1)
    # The control queue: credit and cancels of this server's streams, and cancel notices for its queue
    # (PROTOCOL.md §7). Server-named, exclusive, auto-delete. On a second connection: pika does not
    # dispatch a connection's deliveries from inside one of its callbacks, where a stream waits for credit.
    control_connection = pika.BlockingConnection(pika.URLParameters(uri or os.environ.get("RPC_AMQP_URI", DEFAULT_URI)))
    control_channel = control_connection.channel()
    control = control_channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    control_channel.exchange_declare(exchange=CANCEL_EXCHANGE, exchange_type="direct", durable=False, auto_delete=False)
    control_channel.queue_bind(queue=control, exchange=CANCEL_EXCHANGE, routing_key=queue)
    streams = {}  # correlation_id -> the StreamOut of a stream running here

    def on_control(ch, method, properties, body):
        headers = properties.headers or {}
        if "rpc-stream-credit" in headers or "rpc-stream-cancel" in headers:
            out = streams.get(properties.correlation_id)
            if out is None or (out.key is not None and _text(headers.get("rpc-cancel-key")) != out.key):
                return  # not a stream running here, or not its caller
            credit = headers.get("rpc-stream-credit")
            if "rpc-stream-cancel" in headers:
                out.cancel()
            elif _is_int(credit) and credit > 0:
                out.grant(credit)
        else:  # a cancel notice: only with the request's key
            out = streams.get(_text(headers.get("rpc-cancel")))
            if out is not None and out.key is not None and _text(headers.get("rpc-cancel-key")) == out.key:
                out.cancel()

    control_channel.basic_consume(queue=control, on_message_callback=on_control, auto_ack=True)

    def wait(seconds):
        connection.process_data_events(time_limit=0)  # heartbeats of the request connection
        control_connection.process_data_events(time_limit=seconds)

    def on_request(ch, method, properties, body):
        if not properties.reply_to:
            ch.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
            return

        def send(seq, item):
            ch.basic_publish(exchange="", routing_key=properties.reply_to, body=item, properties=pika.BasicProperties(
                content_type=properties.content_type, correlation_id=properties.correlation_id, reply_to=control,
                headers=stream_item_headers(seq)))

        out = StreamOut(send, wait, _cancel_key(properties.headers)) if properties.correlation_id else None
        if out is not None:
            streams[properties.correlation_id] = out
        try:
            status, content_type, reply, headers = dispatch(service, properties.content_type, properties.headers, body,
                                                            stream=out, queue=queue)
        finally:
            streams.pop(properties.correlation_id, None)
        ch.basic_publish(exchange="", routing_key=properties.reply_to, body=reply, properties=pika.BasicProperties(
            content_type=content_type, correlation_id=properties.correlation_id, headers=headers))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_consume(queue=queue, on_message_callback=on_request)
    if ready:
        ready()
    while True:  # requests; control messages that arrive between streams are read (and ignored) too
        connection.process_data_events(time_limit=0.2)
        control_connection.process_data_events(time_limit=0)


def fib(n):
    if n < 0:
        raise ValueError("n must not be negative, got %d" % n)
    previous, current = 0, 1
    for _ in range(n):
        previous, current = current, previous + current
    return previous


def fibs(count):
    """A streaming method: fib(0), fib(1), ... fib(count - 1); a Java long holds up to fib(92), so from
    fib(93) on it fails, after the items before."""
    if count < 0:
        raise ValueError("count must not be negative, got %d" % count)
    for n in range(count):
        if n > 92:
            raise ValueError("fib(%d) does not fit in a signed 64-bit integer" % n)
        yield fib(n)


FIBONACCI = Service("FibonacciService", {"fib": (fib, [int]), "fibs": (fibs, [int])}, results={"fib": int, "fibs": int})


def stream_command(argv):
    """rpc_json.py stream [--window W] [--take K] QUEUE METHOD [ARG_JSON ...]"""
    window, take = DEFAULT_STREAM_WINDOW, None
    while argv and argv[0] in ("--window", "--take"):
        if len(argv) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        if argv[0] == "--window":
            window = int(argv[1])
        else:
            take = int(argv[1])
        argv = argv[2:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    client = Client()
    try:
        items = client.stream(argv[0], argv[1], [json.loads(a) for a in argv[2:]], window=window)
        count = 0
        try:
            for item in items:
                print(json.dumps(item), flush=True)
                count += 1
                if take is not None and count >= take:
                    items.close()  # gives the stream up: the server is told to stop
                    print("cancelled after %d" % count, flush=True)
                    return 0
        except RpcError as e:
            print("error: %s" % e, flush=True)
            return 1
        print("end %d" % count, flush=True)
        return 0
    finally:
        client.close()


def call_command(argv):
    """rpc_json.py call [--cbor] [--call-key KEY] QUEUE METHOD [ARG_JSON ...]"""
    cbor, call_key = False, None
    while argv and argv[0] in ("--cbor", "--call-key"):
        if argv[0] == "--cbor":
            cbor, argv = True, argv[1:]
        elif len(argv) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        else:
            call_key, argv = argv[1], argv[2:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    client = Client()
    try:
        result, replayed = client.call_keyed(argv[0], argv[1], [json.loads(a) for a in argv[2:]], call_key, cbor=cbor)
        print(json.dumps(result), flush=True)
        code = 0
    except RpcError as e:
        print("error: %s" % e, flush=True)
        replayed, code = e.replayed, 1
    finally:
        client.close()
    if replayed:
        print("replayed", flush=True)
    return code


def main(argv):
    global JSON_ONLY
    if len(argv) >= 3 and argv[0] == "call":
        return call_command(argv[1:])
    if len(argv) == 2 and argv[0] == "describe":
        client = Client()
        try:
            print(json.dumps(client.describe(argv[1]), indent=2), flush=True)
            return 0
        except RpcError as e:
            print("error: %s" % e, flush=True)
            return 1
        finally:
            client.close()
    if len(argv) >= 3 and argv[0] == "stream":
        return stream_command(argv[1:])
    if len(argv) == 4 and argv[0] == "shard":
        shards = int(argv[2])
        print(shard_queue(argv[1], shard_of(json.loads(argv[3]), shards)) if shards > 1 else argv[1], flush=True)
        return 0
    if len(argv) == 3 and argv[0] == "serve" and argv[1] == "--json-only":
        JSON_ONLY = True
        argv = [argv[0]] + argv[2:]
    if len(argv) == 2 and argv[0] == "serve":
        serve(FIBONACCI, argv[1], ready=lambda: print(" [x] Awaiting RPC requests", flush=True))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
