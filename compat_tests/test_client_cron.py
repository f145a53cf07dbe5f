"""Differential tests: what Redis's client cron does to connected clients (clientsCron): the
query buffer's room (CLIENT LIST's qbuf-free) and the idle `timeout`."""

import socket

from .rawclient import RawClient
from .servers import eventually


def _query_buffer_room(admin: RawClient, name: str) -> int:
    """qbuf + qbuf-free of the client called `name`: its query buffer's allocation."""
    for line in admin.call("CLIENT", "LIST").decode().splitlines():
        fields = dict(field.split("=", 1) for field in line.split(" "))
        if fields["name"] == name:
            return int(fields["qbuf"]) + int(fields["qbuf-free"])
    raise AssertionError(f"no client named {name}")


def test_query_buffer_grows_for_big_requests_and_is_given_back(servers):
    """Redis's unit/querybuf, on both servers side by side: a fresh client's 16 KB buffer, a
    400 KB request growing it, the cron trimming it to the recent peak, and freeing it all
    after the client has been idle for over 2 seconds."""
    admins = [RawClient(server.port) for server in servers]
    clients = [RawClient(server.port) for server in servers]
    for client in clients:
        client.call("CLIENT", "SETNAME", "qbuf_client")
    for admin in admins:
        assert 16384 <= _query_buffer_room(admin, "qbuf_client") < 32768
    for client in clients:
        assert client.call("SET", "qbuf_key", "A" * 400_000) == b"OK"
    grown = [_query_buffer_room(admin, "qbuf_client") for admin in admins]
    assert all(room > 32768 for room in grown)
    for admin, client, before in zip(admins, clients, grown):
        def shrank():
            client.call("SET", "qbuf_key", "A" * 100)
            return _query_buffer_room(admin, "qbuf_client") < before
        assert eventually(shrank, 2)  # the cron trims it to the small requests' peak
        assert 0 < _query_buffer_room(admin, "qbuf_client") < before

        def back_to_16k():  # once trimmed to a small request's peak, a read takes 16 KB again
            client.call("SET", "qbuf_key", "A" * 100)
            return 16384 <= _query_buffer_room(admin, "qbuf_client") < 32768
        assert eventually(back_to_16k, 3)
    # idle for over 2 seconds, the room is freed (a buffer trimmed to a small peak would keep
    # it: the idle rule frees more than 4 KB only)
    for admin in admins:
        assert eventually(lambda: _query_buffer_room(admin, "qbuf_client") == 0, 6), \
            [line for line in admin.call("CLIENT", "LIST").split(b"\n") if b"qbuf_client" in line]
    for client in clients:
        client.call("DEL", "qbuf_key")


def _closed(client: RawClient) -> bool:
    client.sock.settimeout(0.05)
    try:
        return client.sock.recv(1) == b""
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def test_timeout_closes_idle_clients_but_not_subscribers(servers):
    admins = [RawClient(server.port) for server in servers]
    for admin in admins:
        assert admin.call("CONFIG", "SET", "timeout", "1") == b"OK"
    try:
        idle = [RawClient(server.port) for server in servers]
        subscribers = [RawClient(server.port) for server in servers]
        for client in idle:
            client.call("PING")
        for subscriber in subscribers:
            subscriber.call("SUBSCRIBE", "news")

        def all_idle_closed():  # the admins stay active meanwhile
            assert all(admin.call("PING") == b"PONG" for admin in admins)
            return all(_closed(client) for client in idle)
        assert eventually(all_idle_closed, 6)
        for subscriber in subscribers:  # still served: a subscriber has no timeout
            subscriber.sock.settimeout(5)
            assert subscriber.call("PING") == [b"pong", b""]
    finally:
        for server in servers:
            RawClient(server.port).call("CONFIG", "SET", "timeout", "0")
