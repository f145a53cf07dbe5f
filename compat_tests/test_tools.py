"""The real Redis tools, unchanged, against Predis: redis-cli (pipe and interactive), redis-benchmark,
redis-py (sync and asyncio, RESP2 and RESP3)."""

import asyncio
import os
import pty
import select
import subprocess
import time

import pytest
import redis
import redis.asyncio


def test_redis_cli_pipe_mode(servers):
    payload = "".join(f"SET pipe:{i} value{i}\r\n" for i in range(2000)).encode()
    for server in servers:
        result = subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input=payload,
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert b"errors: 0, replies: 2000" in result.stdout, result.stdout
    client = redis.Redis(port=servers[1].port)
    assert client.get("pipe:1999") == b"value1999"
    client.close()


def test_redis_cli_commands_and_errors(servers):
    outputs = []
    for server in servers:
        run = lambda *args: subprocess.run(["redis-cli", "-p", str(server.port), *args],
                                           capture_output=True, timeout=30).stdout
        outputs.append([run("SET", "cli", "v"), run("GET", "cli"), run("INCR", "cli"),
                        run("NOSUCH"), run("TTL", "cli"), run("MGET", "cli", "x"),
                        run("--no-raw", "GET", "cli"), run("DEL", "cli")])
    assert outputs[1] == outputs[0]


def _interactive(port: int, lines: list) -> str:
    """Drive interactive redis-cli through a pseudo-terminal and return what it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        # TERM=dumb: linenoise then reads plain lines instead of probing the cursor position.
        os.execvpe("redis-cli", ["redis-cli", "-p", str(port)], dict(os.environ, TERM="dumb"))
    output = b""
    try:
        for line in lines:
            os.write(fd, line.encode() + b"\r")
            deadline = time.time() + 3
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.3)
                if not ready:
                    break
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
        os.write(fd, b"quit\r")
        time.sleep(0.2)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return output.decode(errors="replace")


def test_redis_cli_interactive_help_and_commands(servers):
    predis = servers[1]
    text = _interactive(predis.port, ["SET hello world", "GET hello", "HELP GET",
                                      "HELP @string", "NOSUCH"])
    assert "OK" in text
    assert '"world"' in text
    # redis-cli builds its help from COMMAND DOCS: the summary served by Predis is shown.
    assert "Returns the string value of a key." in text and "group:" in text
    assert "SETRANGE" in text  # HELP @string lists the string group
    assert "unknown command" in text
    assert "Assertion" not in text and "Connection refused" not in text


def test_redis_benchmark_runs_clean(servers):
    predis = servers[1]
    result = subprocess.run(
        ["redis-benchmark", "-p", str(predis.port), "-t", "ping,set,get,incr,mset", "-n", "2000",
         "-q"], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode(errors="replace").replace("\r", "\n")
    for test in ("PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: ", "INCR: ", "MSET (10 keys): "):
        assert test in text and "requests per second" in text, test
    assert "ERR" not in text


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sync(servers, protocol):
    results = []
    for server in servers:
        client = redis.Redis(port=server.port, protocol=protocol, decode_responses=True)
        client.flushall()
        out = [client.set("a", "1", ex=100), client.get("a"), client.incrby("a", 5),
               client.mset({"x": "1", "y": "2"}), client.mget(["x", "y", "z"]),
               client.expire("x", 50), client.ttl("x"), client.exists("x", "y", "q"),
               client.getex("y", px=5000) if True else None, client.type("a"),
               client.set("n", "v", nx=True), client.set("n", "w", nx=True, get=True),
               client.delete("a", "x"), sorted(client.keys("*")), client.dbsize(),
               client.object("encoding", "y"), client.strlen("y"), client.append("y", "z"),
               client.getrange("y", 0, 0), client.setbit("bits", 3, 1), client.bitcount("bits"),
               client.bitfield("bf").set("u8", 0, 200).incrby("u8", 0, 100).execute(),
               client.lcs("y", "n"), client.copy("y", "y2"), client.rename("y2", "y3"),
               sorted(client.scan_iter(match="y*")), client.client_setname("tester"),
               client.client_getname(), client.ping(), client.echo("hi")]
        pipe = client.pipeline(transaction=False)
        pipe.set("p1", 1).incr("p1").get("p1").delete("p1")
        out.append(pipe.execute())
        results.append(out)
        client.close()
    assert results[1] == results[0]


def _without_avg_ttl(keyspace: dict) -> dict:
    """avg_ttl is each server's running estimate from its expiry sampling: not comparable."""
    return {db: {k: v for k, v in fields.items() if k != "avg_ttl"}
            for db, fields in keyspace.items()}


def test_redis_py_asyncio(servers):
    async def scenario(port):
        client = redis.asyncio.Redis(port=port, protocol=3)
        await client.flushall()
        await client.set("k", "v", px=100000)
        results = [await client.get("k"), await client.pttl("k") > 0,
                   await client.incr("counter"), _without_avg_ttl(await client.info("keyspace"))]
        async with client.pipeline(transaction=False) as pipe:
            pipe.set("a", 1).get("a").incrbyfloat("a", 1.5)
            results.append(await pipe.execute())
        await client.aclose()
        return results

    outputs = [asyncio.run(scenario(server.port)) for server in servers]
    assert outputs[1] == outputs[0]
