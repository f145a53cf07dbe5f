"""The connection protocol on a fake transport: batching, ordering, errors, flow control."""

import asyncio

from tests.fakes import connect, make_server


def test_pipelined_commands_get_one_write():
    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                       b"PING\r\n")
    assert transport.writes == [b"+OK\r\n$1\r\nv\r\n+PONG\r\n"]


def test_runs_of_get_and_set_reply_like_single_commands():
    from server.command_table import TABLE

    server = make_server()
    server.reset_stats()  # command statistics live in the (process-wide) command table
    conn, transport = connect(server)
    conn.data_received(b"SET a 1\r\nSET b 2\r\nGET a\r\nGET b\r\nGET c\r\nGET a\r\n")
    assert transport.output == b"+OK\r\n+OK\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n"
    get = server.keyspace[0]
    assert (get.hits, get.misses) == (3, 1)
    assert TABLE[b"get"].calls == 4 and TABLE[b"set"].calls == 2


def test_protocol_error_answers_then_closes():
    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"PING\r\n*1\r\n$x\r\n")
    assert transport.output == b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert transport.closed


def test_hello_switches_protocol_for_its_own_reply_only_onwards():
    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"GET missing\r\nHELLO 3\r\nGET missing\r\n")
    out = transport.output
    assert out.startswith(b"$-1\r\n%7\r\n")
    assert out.endswith(b"_\r\n")


def test_query_buffer_limit_closes_client():
    server = make_server("--client-query-buffer-limit", "1mb")
    conn, transport = connect(server)
    conn.data_received(b"*2\r\n$4\r\nECHO\r\n$5000000\r\n")
    for _ in range(20):
        if transport.closed:
            break
        conn.data_received(b"x" * 65536)
    assert transport.closed


def test_flow_control_pauses_reading_while_output_is_backed_up():
    server = make_server()
    conn, transport = connect(server)
    conn.pause_writing()
    assert transport.reading is False
    conn.resume_writing()
    assert transport.reading is True


def test_quit_replies_then_closes():
    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"QUIT\r\nPING\r\n")
    assert transport.output == b"+OK\r\n"
    assert transport.closed


def test_deferred_reply_keeps_later_commands_in_order():
    async def scenario():
        server = make_server()
        server.loop = asyncio.get_running_loop()
        conn, transport = connect(server)
        conn.data_received(b"CLIENT PAUSE 10000 WRITE\r\n")
        other, other_transport = connect(server)
        other.data_received(b"SET k v\r\nGET k\r\n")
        assert other_transport.output == b""
        conn.data_received(b"CLIENT UNPAUSE\r\n")
        for _ in range(3):  # (held commands run after UNPAUSE, then their replies are written)
            await asyncio.sleep(0)
        return other_transport.output

    assert asyncio.run(scenario()) == b"+OK\r\n$1\r\nv\r\n"


def test_disconnect_unregisters_client():
    server = make_server()
    conn, _ = connect(server)
    assert len(server.clients) == 1
    conn.connection_lost(None)
    assert len(server.clients) == 0


def test_http_request_on_the_resp_port_is_dropped_without_reply():
    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"PING\r\nPOST / HTTP/1.1\r\nHost: example\r\n\r\n")
    assert transport.output == b""  # not even the PING's reply, as Redis
    assert transport.closed


def test_protected_mode_denies_remote_clients_without_password():
    from tests.fakes import FakeTransport

    class RemoteTransport(FakeTransport):
        def get_extra_info(self, name):
            return {"peername": ("10.1.2.3", 40000), "sockname": ("10.1.2.1", 6379)}.get(name)

    for argv, denied in ((["--protected-mode", "yes"], True),
                         (["--protected-mode", "no"], False),
                         (["--protected-mode", "yes", "--requirepass", "pw"], False)):
        server = make_server(*argv)
        transport = RemoteTransport()
        conn = server.protocol_factory()
        conn.connection_made(transport)
        assert transport.output.startswith(b"-DENIED Redis is running in protected mode") == denied
        assert transport.closed == denied
    local_server = make_server("--protected-mode", "yes")
    conn, transport = connect(local_server)  # loopback peer
    conn.data_received(b"PING\r\n")
    assert transport.output == b"+PONG\r\n"


def test_local_only_protections_refuse_remote_clients():
    """enable-protected-configs / enable-debug-command `local`: loopback and Unix socket
    clients may, a client from another address gets Redis's refusals."""
    from tests.fakes import FakeTransport

    class RemoteTransport(FakeTransport):
        def get_extra_info(self, name):
            return {"peername": ("10.1.2.3", 5555),
                    "sockname": ("10.1.2.4", 6379)}.get(name)

    server = make_server("--enable-protected-configs", "local",
                         "--enable-debug-command", "local", "--protected-mode", "no")
    local, local_out = connect(server)
    remote, remote_out = server.protocol_factory(), RemoteTransport()
    remote.connection_made(remote_out)
    for conn in (local, remote):
        conn.data_received(b"CONFIG SET dbfilename other.rdb\r\nDEBUG SET-ACTIVE-EXPIRE 1\r\n")
    assert local_out.output == b"+OK\r\n+OK\r\n"
    assert remote_out.output == (
        b"-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
        b"protected config\r\n-ERR DEBUG command not allowed. If the enable-debug-command "
        b"option is set to \"local\", you can run it from a local connection, otherwise you "
        b"need to set this option in the configuration file, and then restart the server.\r\n")


def test_a_disconnected_client_is_freed_without_the_cycle_collector():
    """Nothing keeps a client and its connection alive in a cycle once it is gone, so a client
    frozen by a load's gc.freeze() (server/loading.py) cannot leak."""
    import gc
    import weakref

    server = make_server()
    gc.collect()
    gc.disable()
    try:
        for requests in ([b"PING\r\n"], [b"SUBSCRIBE ch\r\n"], [b"MULTI\r\n", b"SET a 1\r\n"],
                         [b"WATCH a\r\n"], [b"CLIENT TRACKING on\r\n", b"GET a\r\n"],
                         [b"CLIENT SETNAME x\r\n", b"SET a b\r\nGET a\r\n"]):
            conn, transport = connect(server)
            for request in requests:
                conn.data_received(request)
            gone = [weakref.ref(conn), weakref.ref(conn.session)]
            conn.connection_lost(None)
            del conn, transport
            assert [ref() for ref in gone] == [None, None], requests
    finally:
        gc.enable()
