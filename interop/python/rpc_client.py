#!/usr/bin/env python3
"""The client of RabbitMQ's RPC tutorial (tutorial 6), as the tutorial describes it: an exclusive,
server-named callback queue, a fresh correlation_id per call, the number as a plain-text body.

Usage: rpc_client.py [--trace] N [QUEUE [TIMEOUT_SECONDS]]   (default rpc_queue, 10 s; broker $RPC_AMQP_URI)
Exits 1 if no reply comes in time (the tutorial's client would wait forever).

--trace (not the tutorial's): the request also carries W3C trace context this client made itself, as
string headers: a traceparent with a fresh trace id and span id (sampled), a tracestate and a baggage.
It prints them (" [.] traceparent ..."), and the reply's traceparent (" [.] reply traceparent ...");
it exits 1 unless the reply has one in the same trace from another span (the server's).
"""
import os
import re
import secrets
import sys
import time
import uuid

import pika


class FibonacciRpcClient(object):
    def __init__(self, queue):
        self.queue = queue
        self.connection = pika.BlockingConnection(
            pika.URLParameters(os.environ.get("RPC_AMQP_URI", "amqp://guest:guest@localhost:5672")))
        self.channel = self.connection.channel()
        result = self.channel.queue_declare(queue="", exclusive=True)
        self.callback_queue = result.method.queue
        self.channel.basic_consume(queue=self.callback_queue, on_message_callback=self.on_response, auto_ack=True)
        self.response = None
        self.response_headers = None
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body
            self.response_headers = props.headers or {}

    def call(self, n, timeout, headers=None):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(exchange="", routing_key=self.queue,
                                   properties=pika.BasicProperties(reply_to=self.callback_queue,
                                                                   correlation_id=self.corr_id,
                                                                   headers=headers),
                                   body=str(n))
        end = time.monotonic() + timeout
        while self.response is None and time.monotonic() < end:
            self.connection.process_data_events(time_limit=min(0.5, max(0.0, end - time.monotonic())))
        return self.response


TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def trace_headers():
    """W3C trace context of a new sampled trace, as string headers (pika writes str as an AMQP long string)."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return {"traceparent": "00-%s-%s-01" % (trace_id, span_id), "tracestate": "pika=interop",
            "baggage": "peer=pika"}


args = sys.argv[1:]
trace = "--trace" in args
args = [arg for arg in args if arg != "--trace"]
n = int(args[0])
queue = args[1] if len(args) > 1 else "rpc_queue"
timeout = float(args[2]) if len(args) > 2 else 10.0
headers = trace_headers() if trace else None
fibonacci_rpc = FibonacciRpcClient(queue)
print(" [x] Requesting fib(%d)" % n, flush=True)
for name, value in (headers or {}).items():
    print(" [.] %s %s" % (name, value), flush=True)
response = fibonacci_rpc.call(n, timeout, headers)
fibonacci_rpc.connection.close()
if response is None:
    print(" [!] No reply within %s s" % timeout, flush=True)
    sys.exit(1)
if trace:
    sent = TRACEPARENT.match(headers["traceparent"])
    received = fibonacci_rpc.response_headers.get("traceparent")
    print(" [.] reply traceparent %s" % received, flush=True)
    match = TRACEPARENT.match(received) if isinstance(received, str) else None
    if match is None or match.group(1) != sent.group(1) or match.group(2) == sent.group(2):
        print(" [!] The reply's traceparent is not the server's span in this trace", flush=True)
        sys.exit(1)
try:
    print(" [.] Got %r" % int(response), flush=True)
except ValueError:
    print(" [!] Got %s" % response.decode("utf-8", "replace"), flush=True)
    sys.exit(1)
