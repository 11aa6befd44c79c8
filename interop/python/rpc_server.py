#!/usr/bin/env python3
"""The server of RabbitMQ's RPC tutorial (tutorial 6), as the tutorial describes it: plain-text
bodies, a request's reply goes to its reply_to with its correlation_id, one request at a time.

Usage: rpc_server.py [QUEUE]   (default rpc_queue; broker $RPC_AMQP_URI, default localhost)
"""
import os
import sys

import pika

queue = sys.argv[1] if len(sys.argv) > 1 else "rpc_queue"
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
