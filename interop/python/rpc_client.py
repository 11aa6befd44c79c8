#!/usr/bin/env python3
"""The client of RabbitMQ's RPC tutorial (tutorial 6), as the tutorial describes it: an exclusive,
server-named callback queue, a fresh correlation_id per call, the number as a plain-text body.

Usage: rpc_client.py N [QUEUE [TIMEOUT_SECONDS]]   (default rpc_queue, 10 s; broker $RPC_AMQP_URI)
Exits 1 if no reply comes in time (the tutorial's client would wait forever).
"""
import os
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
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, n, timeout):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(exchange="", routing_key=self.queue,
                                   properties=pika.BasicProperties(reply_to=self.callback_queue,
                                                                   correlation_id=self.corr_id),
                                   body=str(n))
        end = time.monotonic() + timeout
        while self.response is None and time.monotonic() < end:
            self.connection.process_data_events(time_limit=min(0.5, max(0.0, end - time.monotonic())))
        return self.response


n = int(sys.argv[1])
queue = sys.argv[2] if len(sys.argv) > 2 else "rpc_queue"
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
fibonacci_rpc = FibonacciRpcClient(queue)
print(" [x] Requesting fib(%d)" % n, flush=True)
response = fibonacci_rpc.call(n, timeout)
fibonacci_rpc.connection.close()
if response is None:
    print(" [!] No reply within %s s" % timeout, flush=True)
    sys.exit(1)
try:
    print(" [.] Got %r" % int(response), flush=True)
except ValueError:
    print(" [!] Got %s" % response.decode("utf-8", "replace"), flush=True)
    sys.exit(1)
