#!/usr/bin/env python3
"""The server of RabbitMQ's RPC tutorial (tutorial 6), as the tutorial describes it: plain-text
bodies, a request's reply goes to its reply_to with its correlation_id, one request at a time.

Usage: rpc_server.py [--print-headers] [QUEUE]   (default rpc_queue; broker $RPC_AMQP_URI, default localhost)

--print-headers (not the tutorial's): prints each request's headers, one line each, with the Python type
pika decoded it to (" [.] header traceparent str 00-..."): str for an AMQP long string, bytes for a byte
array. The reply stays the tutorial's.
"""
import os
import sys

import pika

args = sys.argv[1:]
print_headers = "--print-headers" in args
args = [arg for arg in args if arg != "--print-headers"]
queue = args[0] if args else "rpc_queue"
connection = pika.BlockingConnection(pika.URLParameters(os.environ.get("RPC_AMQP_URI", "amqp://guest:guest@localhost:5672")))
channel = connection.channel()
channel.queue_declare(queue=queue)


def fib(n):
    # The tutorial's definition, computed iteratively so that a test does not wait on recursion.
    previous, current = 0, 1
    for _ in range(n):
        previous, current = current, previous + current
    return previous


def on_request(ch, method, props, body):
    n = int(body)
    if print_headers:
        for name, value in sorted((props.headers or {}).items()):
            print(" [.] header %s %s %s" % (name, type(value).__name__, value), flush=True)
    print(" [.] fib(%s)" % n, flush=True)
    response = fib(n)
    ch.basic_publish(exchange="", routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id=props.correlation_id),
                     body=str(response))
    ch.basic_ack(delivery_tag=method.delivery_tag)


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue=queue, on_message_callback=on_request)
print(" [x] Awaiting RPC requests", flush=True)
channel.start_consuming()
