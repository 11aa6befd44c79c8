#!/usr/bin/env python3
"""Checks the Python peer (rpc_json.py) against the protocol's test vectors (docs/protocol-vectors):
as a client it sends each vector's request and makes its reply into the stated outcome; as a server
it answers each request with the vector's reply, except where the vector says a field varies or is
free text (messages and exception type names are each implementation's own).

A vector with body_hex has a binary (CBOR) body: its bodies are compared as decoded CBOR data items,
since CBOR may write one value several ways (definite or indefinite lengths) and only the Java
dispatcher is held to the exact bytes. CBOR vectors need cbor2 (Debian's python3-cbor2).

The stream vectors (streams/*.json) add "items", the messages before the reply: as a server the peer
sends exactly those, then the reply; as a client it makes them into the outcome's items and then
its error, if any.

The replay vectors (replays/*.json) are "exchanges" sent in order to one server: as a client the peer
sends each request with its call's rpc-call-key and makes each reply into its outcome, replayed or not
(rpc-replayed); as a server it answers only the vectors for any server ("server_keeps_replies": false),
since it keeps no replies (which the protocol allows), and skips the others.

The shard-key vectors (shard-keys/*.json) check that the peer puts a @ShardKey call on the same
shard queue as Java: canonical text, CRC-32 modulo the shard count, queue names.

Usage: check_vectors.py [VECTOR_DIR]   (standard library and cbor2; exits 1 if any check fails)
"""
import base64
import copy
import enum
import json
import os
import sys
import uuid

import rpc_json

HERE = os.path.dirname(os.path.abspath(__file__))


class BookNotFoundException(Exception):
    pass


def by_author(books):
    grouped = {}
    for book in books:
        grouped.setdefault(book["author"], []).append(book)
    return {author: grouped[author] for author in sorted(grouped)}


def find(isbn):
    if isbn == "978-0-14-143951-8":
        return {"title": "Pride and Prejudice", "author": "Jane Austen", "year": 1813}
    raise BookNotFoundException("no book with ISBN " + isbn)


def find_all(isbns):
    """Shelf.findAll: the books of these ISBNs, one stream item each; fails at the first unknown one."""
    for isbn in isbns:
        yield find(isbn)


class PaymentDeclinedException(Exception):
    pass


def pay(order_id, amount):
    """Payments.pay, for the replay vectors' server checks this peer takes (it keeps no replies)."""
    if amount > 1000:
        raise PaymentDeclinedException("order %s: %d is over the limit of 1000" % (order_id, amount))
    return "receipt"


SERVICES = {
    "Shelf": rpc_json.Service("Shelf", {"findAll": (find_all, [list])}),
    "Fibonacci": rpc_json.Service("Fibonacci", {"fib": (rpc_json.fib, [int])}),
    "Payments": rpc_json.Service("Payments", {"pay": (pay, [str, int])}),
    "Catalog": rpc_json.Service("Catalog", {
        "byAuthor": (by_author, [list]),
        "clear": (lambda: None, []),
        "find": (find, [str]),
        "divide": (lambda a, b: a // b, [int, int]),
        "cover": (lambda isbn: find(isbn) and bytes(range(16)), [str]),
    }),
}


def remove_path(message, path):
    """Deletes a free-text field (path below reply.body) from a parsed JSON body."""
    node = message
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def body_of(message):
    """The bytes of a vector's body: hex for a binary one, else UTF-8 text."""
    return bytes.fromhex(message["body_hex"]) if "body_hex" in message else message["body"].encode("utf-8")


def parse_body(body, content_type):
    return rpc_json.from_cbor(body) if content_type == rpc_json.CBOR_CONTENT_TYPE else json.loads(body.decode("utf-8"))


def check_server(vector):
    request, expected = vector["request"], vector["reply"]
    sent = []  # a stream's items: (seq, body)
    out = rpc_json.StreamOut(lambda seq, item: sent.append((seq, item)), lambda seconds: None) if "items" in vector else None
    status, content_type, body, headers = rpc_json.dispatch(
        SERVICES[vector["service"]], request["properties"].get("content_type"), request["headers"],
        body_of(request), stream=out)
    problems = []
    if out is not None:
        if len(sent) != len(vector["items"]):
            problems.append("%d stream items, expected %d" % (len(sent), len(vector["items"])))
        for (seq, item), wanted in zip(sent, vector["items"]):
            if rpc_json.stream_item_headers(seq) != wanted["headers"]:
                problems.append("item headers %r, expected %r" % (rpc_json.stream_item_headers(seq), wanted["headers"]))
            if item != body_of(wanted):
                problems.append("item %d body %r, expected %r" % (seq, item, wanted["body"]))
    if status != expected["headers"]["rpc-status"]:
        problems.append("rpc-status %s, expected %s" % (status, expected["headers"]["rpc-status"]))
    if sorted(headers) != sorted(expected["headers"]):
        problems.append("reply headers %s, expected %s" % (sorted(headers), sorted(expected["headers"])))
    for name, value in expected["headers"].items():
        if "reply.headers." + name in vector["varies"]:
            if not (isinstance(headers.get(name), int) and headers.get(name) >= 0):
                problems.append("header %s = %r, expected an integer >= 0" % (name, headers.get(name)))
        elif headers.get(name) != value:
            problems.append("header %s = %r, expected %r" % (name, headers.get(name), value))
    if content_type != expected["properties"].get("content_type"):
        problems.append("content_type %r, expected %r" % (content_type, expected["properties"].get("content_type")))
    free = [p[len("reply.body."):] for p in vector["free_text"] if p.startswith("reply.body.")]
    if "reply.body" in vector["free_text"]:
        if not body.decode("utf-8").startswith(status + ": "):
            problems.append("plain error body %r does not start with %s: " % (body, status))
    elif free or "body_hex" in expected:
        actual, wanted = parse_body(body, content_type), parse_body(body_of(expected), content_type)
        for path in free:
            remove_path(actual, path)
            remove_path(wanted, path)
        if actual != wanted:
            problems.append("body %r, expected %r (free text aside)" % (actual, wanted))
    elif body != body_of(expected):
        problems.append("body %r, expected %r" % (body, expected["body"]))
    return problems


def check_client(vector):
    request, reply, call = vector["request"], vector["reply"], vector["call"]
    plain = "content_type" not in request["properties"]
    cbor = request["properties"].get("content_type") == rpc_json.CBOR_CONTENT_TYPE
    problems = []
    if plain:
        (arg,) = call["args"]
        body = arg.encode("utf-8") if isinstance(arg, str) else rpc_json.to_json(arg)
    else:
        body = rpc_json.encode_request(call["method"], call["args"], cbor)
    if cbor:
        if rpc_json.from_cbor(body) != rpc_json.from_cbor(body_of(request)):
            problems.append("request %r, expected %r" % (rpc_json.from_cbor(body), rpc_json.from_cbor(body_of(request))))
    elif body != body_of(request):
        problems.append("request body %r, expected %r" % (body, request["body"]))
    headers = rpc_json.request_headers(5000, call_key=call.get("call_key"))
    if sorted(headers) != sorted(request["headers"]):
        problems.append("request headers %s, expected %s" % (sorted(headers), sorted(request["headers"])))
    for name, value in request["headers"].items():
        if "request.headers." + name not in vector["varies"] and headers.get(name) != value:
            problems.append("header %s = %r, expected %r" % (name, headers.get(name), value))
    outcome = vector["outcome"]
    if rpc_json.is_replayed(reply["headers"]) != outcome.get("replayed", False):
        problems.append("replayed %s, expected %s" % (rpc_json.is_replayed(reply["headers"]), outcome.get("replayed", False)))
    try:
        result = rpc_json.decode_reply(reply["headers"], body_of(reply), plain=plain,
                                       content_type=reply["properties"].get("content_type"))
        if plain and not isinstance(outcome.get("result"), str):
            result = json.loads(result)
        if isinstance(result, bytes):  # outcomes are JSON, where bytes are base64 text
            result = base64.b64encode(result).decode("ascii")
        if "result" not in outcome:
            problems.append("reply gave %r, expected error %s" % (result, outcome["error"]["code"]))
        elif result != outcome["result"]:
            problems.append("result %r, expected %r" % (result, outcome["result"]))
    except rpc_json.RpcError as e:
        if "error" not in outcome:
            problems.append("reply failed with %s, expected result %r" % (e, outcome["result"]))
        elif e.code != outcome["error"]["code"]:
            problems.append("code %s, expected %s" % (e.code, outcome["error"]["code"]))
    return problems


def check_stream_client(vector):
    """A stream vector's client side: the request it sends, and what it makes of the items and the end."""
    request, call = vector["request"], vector["call"]
    problems = []
    body = rpc_json.encode_request(call["method"], call["args"])
    if body != body_of(request):
        problems.append("request body %r, expected %r" % (body, request["body"]))
    window = request["headers"]["rpc-stream-window"]
    headers = rpc_json.stream_request_headers(5000, window, 5000, "0" * 32)
    key = headers.pop("rpc-cancel-key")  # optional in the vectors (README): checked for its form only
    if len(key) != 32:
        problems.append("rpc-cancel-key %r" % key)
    if sorted(headers) != sorted(request["headers"]):
        problems.append("request headers %s, expected %s" % (sorted(headers), sorted(request["headers"])))
    for name, value in request["headers"].items():
        if "request.headers." + name not in vector["varies"] and headers.get(name) != value:
            problems.append("header %s = %r, expected %r" % (name, headers.get(name), value))
    reader = rpc_json.StreamReader(call["method"], window)
    items, error = [], None
    try:
        for message in vector["items"] + [vector["reply"]]:
            got = reader.receive(message["headers"], message["properties"].get("content_type"),
                                 message["properties"].get("reply_to"), body_of(message))
            if got is not None and got[0] == "item":
                items.append(got[1])
                reader.took()
    except rpc_json.RpcError as e:
        error = e
    outcome = vector["outcome"]
    if items != outcome["items"]:
        problems.append("items %r, expected %r" % (items, outcome["items"]))
    if "error" in outcome:
        if error is None:
            problems.append("the stream ended, expected error %s" % outcome["error"]["code"])
        elif error.code != outcome["error"]["code"]:
            problems.append("code %s, expected %s" % (error.code, outcome["error"]["code"]))
    elif error is not None:
        problems.append("the stream failed with %s, expected its end" % error)
    return problems


def exchanges(vector):
    """A replay vector's exchanges, each as a vector of one exchange (its varies and free text are the vector's)."""
    for exchange in vector["exchanges"]:
        single = {key: value for key, value in vector.items() if key != "exchanges"}
        single.update(exchange)
        yield single


def check_replays_client(vector):
    problems = []
    for i, exchange in enumerate(exchanges(vector)):
        problems += ["exchange %d: %s" % (i, p) for p in check_client(exchange)]
    return problems


def check_replays_server(vector):
    """This server keeps no replies: it takes only the vectors for any server, each exchange on its own."""
    if vector["server_keeps_replies"]:
        return None
    problems = []
    for i, exchange in enumerate(exchanges(vector)):
        problems += ["exchange %d: %s" % (i, p) for p in check_server(exchange)]
    return problems


def check_shard_keys(vector):
    """The shard-keys vectors (docs/protocol-vectors/shard-keys): canonical text, CRC-32, shard per count, queue names."""
    problems = []
    for case in vector["cases"]:
        key = case["key"]
        if case["type"] == "UUID":
            key = uuid.UUID(key)
        elif case["type"] == "enum":
            key = enum.Enum("Key", [key])[key]
        text = rpc_json.shard_key_text(key)
        if text != case["canonical"]:
            problems.append("key %r: canonical %r, expected %r" % (case["key"], text, case["canonical"]))
        for count, shard in case["shards"].items():
            got = rpc_json.shard_of(key, int(count))
            if got != shard:
                problems.append("key %r, %s shards: shard %d, expected %d" % (case["key"], count, got, shard))
    for names in vector["queue_names"]:
        got = [rpc_json.shard_queue(names["queue"], i) for i in range(names["shards"])]
        if got != names["queues"]:
            problems.append("queues %r, expected %r" % (got, names["queues"]))
    return problems


def main(argv):
    directory = argv[0] if argv else os.path.join(HERE, "..", "..", "docs", "protocol-vectors")
    files = sorted(f for f in os.listdir(directory) if f.endswith(".json"))
    passed = failed = 0
    shard_dir = os.path.join(directory, "shard-keys")
    for name in sorted(os.listdir(shard_dir)) if os.path.isdir(shard_dir) else []:
        if not name.endswith(".json"):
            continue
        with open(os.path.join(shard_dir, name), encoding="utf-8") as f:
            vector = json.load(f)
        problems = check_shard_keys(vector)
        if problems:
            failed += 1
            print("FAIL %s (shard keys): %s" % (vector["name"], "; ".join(problems)))
        else:
            passed += 1
            print("ok   %s (shard keys, %d keys)" % (vector["name"], len(vector["cases"])))
    stream_dir = os.path.join(directory, "streams")
    streams = sorted(os.path.join("streams", f) for f in os.listdir(stream_dir) if f.endswith(".json")) \
        if os.path.isdir(stream_dir) else []
    replay_dir = os.path.join(directory, "replays")
    replays = sorted(os.path.join("replays", f) for f in os.listdir(replay_dir) if f.endswith(".json")) \
        if os.path.isdir(replay_dir) else []
    skipped = 0
    for name in files + streams + replays:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            vector = json.load(f)
        if "exchanges" in vector:
            server, client = check_replays_server, check_replays_client
        else:
            server, client = check_server, check_stream_client if "items" in vector else check_client
        for role, check in (("server", server), ("client", client)):
            if role not in vector["roles"]:
                continue
            problems = check(copy.deepcopy(vector))
            if problems is None:
                skipped += 1
                print("skip %s (%s): this peer keeps no replies" % (vector["name"], role))
            elif problems:
                failed += 1
                print("FAIL %s (%s): %s" % (vector["name"], role, "; ".join(problems)))
            else:
                passed += 1
                print("ok   %s (%s)" % (vector["name"], role))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
