"""Differential tests: pub/sub in RESP2 and RESP3, and redis-py's PubSub helper."""

import socket
import time

import pytest
import redis

from .rawclient import RawClient, encode_command


def _drain(client, count):
    return [client.read_reply() for _ in range(count)]


@pytest.mark.parametrize("protocol", [2, 3])
def test_subscribe_publish_unsubscribe(servers, protocol):
    outcomes = []
    for server in servers:
        sub, pub = RawClient(server.port), RawClient(server.port)
        if protocol == 3:
            sub.call("HELLO", "3")
        steps = [sub.call("SUBSCRIBE", "news", "sport"), sub.read_reply(),
                 sub.call("PSUBSCRIBE", "n*"), pub.call("PUBLISH", "news", "hello"),
                 sub.read_reply(), sub.read_reply(), pub.call("PUBLISH", "other", "x"),
                 pub.call("PUBSUB", "NUMSUB", "news", "none"), pub.call("PUBSUB", "NUMPAT"),
                 sorted(pub.call("PUBSUB", "CHANNELS")), pub.call("PUBSUB", "CHANNELS", "sp*"),
                 sub.call("PING"), sub.call("PING", "hi"), sub.call("GET", "k")]
        # UNSUBSCRIBE without arguments goes through the channels in an unspecified order.
        confirmations = [sub.call("UNSUBSCRIBE"), sub.read_reply()]
        steps += [sorted(c[1] for c in confirmations), sorted(c[2] for c in confirmations),
                  sub.call("PUNSUBSCRIBE"), sub.call("UNSUBSCRIBE"), sub.call("PING")]
        outcomes.append(steps)
        sub.close()
        pub.close()
    assert outcomes[1] == outcomes[0]


def test_shard_channels(servers):
    outcomes = []
    for server in servers:
        sub, pub = RawClient(server.port), RawClient(server.port)
        steps = [sub.call("SSUBSCRIBE", "shard1"), pub.call("SPUBLISH", "shard1", "m"),
                 sub.read_reply(), pub.call("PUBSUB", "SHARDCHANNELS"),
                 pub.call("PUBSUB", "SHARDNUMSUB", "shard1"), sub.call("SUNSUBSCRIBE")]
        outcomes.append(steps)
        sub.close()
        pub.close()
    assert outcomes[1] == outcomes[0]


def test_redis_py_pubsub(servers):
    outcomes = []
    for server in servers:
        client = redis.Redis(port=server.port, protocol=3)
        pubsub = client.pubsub()
        pubsub.subscribe("events")
        pubsub.psubscribe("ev*")
        got = [pubsub.get_message(timeout=1) for _ in range(2)]
        client.publish("events", "payload")
        got += [pubsub.get_message(timeout=1) for _ in range(2)]
        pubsub.close()
        client.close()
        outcomes.append(got)
    assert outcomes[1] == outcomes[0]


def test_slow_subscriber_is_disconnected(servers):
    predis = servers[1]
    admin = RawClient(predis.port)
    admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 128kb 60")
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    slow.connect(("127.0.0.1", predis.port))
    slow.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nfire\r\n")
    time.sleep(0.2)
    payload = b"x" * 65536
    receivers = [admin.call("PUBLISH", "fire", payload) for _ in range(400)]
    assert receivers[0] == 1 and receivers[-1] == 0  # the slow reader was dropped
    assert admin.call("PUBSUB", "NUMSUB", "fire") == [b"fire", 0]
    admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
    slow.close()
    admin.close()


def test_messages_to_the_publisher_itself_follow_its_reply(servers):
    """Redis 7.2 (the reference here, 7.0, sends them first): a RESP3 client subscribed to
    the channel it publishes to gets the reply, then the message; after EXEC's whole reply in
    a transaction and after the script's in EVAL (Redis's unit/pubsub.tcl "publish to self")."""
    client = RawClient(servers[1].port)
    client.call("HELLO", "3")
    assert client.call("SUBSCRIBE", "foo") == [b"subscribe", b"foo", 1]
    message = [b"message", b"foo", b"bar"]
    assert client.call("PUBLISH", "foo", "bar") == 1
    assert client.read_reply() == message
    for command in (["MULTI"], ["PING", "abc"], ["PUBLISH", "foo", "bar"], ["PING", "def"]):
        client.call(*command)
    assert client.call("EXEC") == [b"abc", 1, b"def"]
    assert client.read_reply() == message
    assert client.call("EVAL", "redis.call('publish', 'foo', 'bar') return 'bla'", "0") == b"bla"
    assert client.read_reply() == message
    client.call("CONFIG", "SET", "notify-keyspace-events", "KA")
    client.call("SUBSCRIBE", "__keyspace@0__:k")
    assert client.call("SET", "k", "v") == b"OK"  # its own keyspace event comes after it
    assert client.read_reply() == [b"message", b"__keyspace@0__:k", b"set"]
    # pipelined: right after the reply of its command, before the next command's (Redis's
    # afterCommand), not after the whole read's replies
    client.send_raw(encode_command("PUBLISH", "foo", "bar") + encode_command("SET", "k", "w")
                    + encode_command("PING", "end"))
    assert [client.read_reply() for _ in range(5)] == [
        1, message, b"OK", [b"message", b"__keyspace@0__:k", b"set"], b"end"]
    client.call("CONFIG", "SET", "notify-keyspace-events", "")
    client.close()
