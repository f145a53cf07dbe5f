"""The process title (set-proc-title, proc-title-template), read from /proc/PID/cmdline: the
same template gives the same title on both servers (the program's name aside), forked
children title themselves by their job, and a bad template gets Redis's error."""

import time

import pytest
import redis

from .servers import STARTERS


def title_of(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().rstrip(b"\0").decode()


def test_the_template_makes_the_title(server):
    client = redis.Redis(port=server.port)
    try:
        template = "TEST {listen-addr} {port} {tls-port} {unixsocket}x {config-file} {{}"
        assert client.config_set("proc-title-template", template)
        expected = f"TEST 127.0.0.1:{server.port} {server.port} 0 x - {{}}"  # ('{{' is '{')
        assert title_of(server.proc.pid) == expected
        assert client.config_get("proc-title-template") == {"proc-title-template": template}
        client.config_set("proc-title-template", "{title}   {server-mode}| ")
        program, rest = title_of(server.proc.pid).split(" ", 1)
        assert program.rsplit("/", 1)[-1] in ("redis-server", "predis-server") and rest == "  |"
    finally:
        client.close()


def test_the_default_title_shows_where_it_listens(server):
    assert title_of(server.proc.pid).endswith(f"-server 127.0.0.1:{server.port}")


@pytest.mark.parametrize("template", ["{invalid-var}", "{port", "x {", "{server-mode}", "",
                                      "  ", "{{title}"])
def test_a_bad_template_is_refused_as_redis_refuses_it(diff, template):
    diff.assert_same("CONFIG", "SET", "proc-title-template", template)
    diff.assert_same("CONFIG", "GET", "proc-title-template")


def test_a_background_save_child_titles_itself_by_its_job(server):
    client = redis.Redis(port=server.port)
    try:
        client.config_set("rdb-key-save-delay", 100_000)  # (microseconds a key: 1 s a key)
        client.mset({f"k{i}": "v" for i in range(3)})
        client.bgsave()
        child = wait_for_child(server.proc.pid)
        assert title_of(child) == f"redis-rdb-bgsave 127.0.0.1:{server.port}"
    finally:
        client.config_set("rdb-key-save-delay", 0)
        client.close()


def wait_for_child(pid: int) -> int:
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(p) for p in children.read().split()]
        if found:
            time.sleep(0.2)  # (the child titles itself first thing)
            return found[0]
        time.sleep(0.02)
    raise AssertionError("no child process")


assert set(STARTERS) == {"predis", "redis"}
