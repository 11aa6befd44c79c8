package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A publish that throws, which a real broker cannot be made to do on demand. */
class PublishFailureTest {
  private static RpcClient clientWhosePublishThrows(Exception failure) throws Exception {
    Channel channel = MockedBroker.channel();
    doThrow(failure)
        .when(channel).basicPublish(anyString(), anyString(), anyBoolean(), any(AMQP.BasicProperties.class), any(byte[].class));
    return RpcClient.builder().connectionFactory(MockedBroker.factory(MockedBroker.connection(channel))).build();
  }

  @Test
  void failsWithUnavailableAndLeavesNoPendingCallWhenPublishThrows() throws Exception {
    try (RpcClient client = clientWhosePublishThrows(new IOException("socket write failed"))) {
      Types types = client.proxy(Types.class);
      RpcException e = assertThrows(RpcException.class, () -> types.add(1, 2));
      assertEquals(Code.UNAVAILABLE, e.code());
      assertEquals(true, e.getMessage().contains("socket write failed"), e.getMessage());
      assertEquals(0, client.stats().pendingCalls());
    }
  }

  @Test
  void leavesNoPendingCallWhenPublishThrowsAnUncheckedException() throws Exception {
    try (RpcClient client = clientWhosePublishThrows(new IllegalStateException("channel in a bad state"))) {
      Types types = client.proxy(Types.class);
      RpcException e = assertThrows(RpcException.class, () -> types.add(1, 2));
      assertEquals(true, e.getMessage().contains("channel in a bad state"), e.getMessage());
      assertEquals(0, client.stats().pendingCalls(), "the call's pending entry leaked");
    }
  }
}
