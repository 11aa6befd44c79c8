package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ListAddressResolver;
import java.util.List;

/**
 * Where a client's broker is: its description for logs and messages (never the credentials) and
 * the order in which a cluster's addresses are tried. Stateless.
 */
final class BrokerAddresses {
  private BrokerAddresses() {}

  /** The broker the factory names, as {@code amqp://host:port/vhost}, without credentials. */
  static String describe(ConnectionFactory factory) {
    String vhost = factory.getVirtualHost();
    return (factory.isSSL() ? "amqps://" : "amqp://") + factory.getHost() + ":" + factory.getPort()
        + (vhost.equals("/") ? "/" : "/" + vhost);
  }

  /** The addresses as {@code amqp://h1:p1,h2:p2/vhost} (the factory's port where an address has none), or as {@link #describe(ConnectionFactory)} if there are none. */
  static String describe(ConnectionFactory factory, List<Address> addresses) {
    if (addresses.isEmpty()) {
      return describe(factory);
    }
    StringBuilder description = new StringBuilder(factory.isSSL() ? "amqps://" : "amqp://");
    for (int i = 0; i < addresses.size(); i++) {
      description.append(i == 0 ? "" : ",").append(addresses.get(i).getHost()).append(':')
          .append(addresses.get(i).getPort() < 0 ? factory.getPort() : addresses.get(i).getPort());
    }
    String vhost = factory.getVirtualHost();
    return description.append(vhost.equals("/") ? "/" : "/" + vhost).toString();
  }

  /**
   * The addresses as listed: the first reachable one is used, on the first connection and on every
   * recovery. amqp-client shuffles a list of addresses before each attempt, so that a client would
   * connect to any node of a cluster and could not prefer its local one, and the order
   * {@link RpcClient.Builder#addresses(String...)} documents would not hold (ClusterFaultIT relies
   * on it to place the client and each server on a node of their own).
   */
  static AddressResolver inListedOrder(List<Address> addresses) {
    return new ListAddressResolver(addresses) {
      @Override
      public List<Address> maybeShuffle(List<Address> input) {
        return input;
      }
    };
  }
}
