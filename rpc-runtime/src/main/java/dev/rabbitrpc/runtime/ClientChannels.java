package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The client's channels on its connection: a few {@link CallChannel}s, calling threads spread over
 * them by thread id, and the one {@link OneWayChannel} of {@code @OneWay} requests. A channel is
 * opened when its slot has none or its channel closed on its own (a channel error); the one it
 * replaces is aborted, which also stops amqp-client from recovering it with the connection.
 *
 * <p>Thread-safe: each slot has a lock of its own, so opening one channel never holds up a call on
 * another; a slot's lock is never held while waiting for a connection.
 */
final class ClientChannels {
  private final AtomicReferenceArray<CallChannel> callChannels;
  private final Object[] slotLocks;
  private final ReplyListener listener;
  private final ReturnedOneWays returnedOneWays;
  private final MessageSizeLimit messageSizeLimit;
  private final String brokerDescription;
  /** The channel of {@code @OneWay} requests (publisher confirms); guarded by {@link #oneWayLock}. */
  private OneWayChannel oneWayChannel;
  private final Object oneWayLock = new Object();

  ClientChannels(int channels, ReplyListener listener, ReturnedOneWays returnedOneWays,
      MessageSizeLimit messageSizeLimit, String brokerDescription) {
    this.callChannels = new AtomicReferenceArray<>(channels);
    this.slotLocks = new Object[channels];
    for (int i = 0; i < channels; i++) {
      slotLocks[i] = new Object();
    }
    this.listener = listener;
    this.returnedOneWays = returnedOneWays;
    this.messageSizeLimit = messageSizeLimit;
    this.brokerDescription = brokerDescription;
  }

  int size() {
    return callChannels.length();
  }

  /** The calling thread's call channel if it is open, else null: then {@link #callChannel(int, Connection, boolean)}. */
  CallChannel openForThisThread() {
    CallChannel channel = callChannels.get(slotOfThisThread());
    return channel != null && channel.isOpen() ? channel : null;
  }

  int slotOfThisThread() {
    return (int) (Thread.currentThread().getId() % callChannels.length());
  }

  /**
   * The call channel of a slot, opened on {@code on} if it has none or its channel closed.
   *
   * @param rabbitMq whether the broker is RabbitMQ (direct reply-to, {@code expiration} as a TTL)
   * @throws RpcException {@code UNAVAILABLE} if the connection is closed or refuses a channel
   */
  CallChannel callChannel(int slot, Connection on, boolean rabbitMq) {
    synchronized (slotLocks[slot]) {
      CallChannel channel = callChannels.get(slot);
      if (channel != null && channel.isOpen()) {
        return channel;
      }
      if (channel != null) {
        channel.abort();
      }
      channel = open(on, opened -> CallChannel.open(opened, listener, returnedOneWays, rabbitMq, messageSizeLimit));
      callChannels.set(slot, channel);
      return channel;
    }
  }

  /** The confirm-mode channel for {@code @OneWay} requests, opened on {@code on} if needed. */
  OneWayChannel oneWayChannel(Connection on) {
    synchronized (oneWayLock) {
      OneWayChannel channel = oneWayChannel;
      if (channel != null && channel.isOpen()) {
        return channel;
      }
      if (channel != null) {
        channel.abort();
      }
      oneWayChannel = open(on, opened -> OneWayChannel.open(opened, brokerDescription, messageSizeLimit));
      return oneWayChannel;
    }
  }

  /** Sets up a channel just opened: its consumer, listeners, confirm mode. */
  private interface Setup<T> {
    T on(Channel opened) throws IOException;
  }

  private <T> T open(Connection on, Setup<T> setup) {
    if (!on.isOpen()) {
      throw new RpcException(Code.UNAVAILABLE, "the connection to " + brokerDescription + " is not open");
    }
    try {
      Channel opened = on.createChannel();
      if (opened == null) {
        throw new IOException("the broker has no channel left for this connection");
      }
      return setup.on(opened);
    } catch (IOException | RuntimeException e) {
      throw new RpcException(Code.UNAVAILABLE, "cannot open a channel to " + brokerDescription + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  /** The connection they were on is gone for good: the next call opens new ones. */
  void forget() {
    for (int i = 0; i < callChannels.length(); i++) {
      callChannels.set(i, null);
    }
  }

  /** amqp-client's recovery redeclared a server-named reply queue under a new name. */
  void replyQueueRenamed(String oldName, String newName) {
    for (int i = 0; i < callChannels.length(); i++) {
      CallChannel channel = callChannels.get(i);
      if (channel != null) {
        channel.replyQueueRenamed(oldName, newName);
      }
    }
  }
}
