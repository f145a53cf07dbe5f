"""ops/proc_title.py: Redis's template rules, and the title written over the arguments."""

import subprocess
import sys

from ops import proc_title
from ops.config import Config

VALUES = {"title": "/bin/predis-server", "port": "6379", "server-mode": ""}


def test_variables_braces_and_spaces_expand_as_redis_sdstemplate_does():
    assert proc_title.expand("{title} *:{port} {server-mode}", VALUES) == \
        "/bin/predis-server *:6379"
    assert proc_title.expand("{{port} }{port}}", VALUES) == "{port} }6379}"
    assert proc_title.expand("  a  ", VALUES) == "a"
    for bad in ("{nope}", "{port", "a {", "{}"):
        assert proc_title.expand(bad, VALUES) is None


def test_listen_addr_follows_bind_port_and_socket():
    config = Config()
    assert proc_title.variables(config, "t")["listen-addr"] == "*:6379"
    config.load_argv(["--bind", "10.0.0.1", "::1", "--port", "0", "--tls-port", "6380"])
    assert proc_title.variables(config, "t")["listen-addr"] == "10.0.0.1:6380"
    config.load_argv(["--tls-port", "0", "--unixsocket", "/tmp/s.sock"])
    assert proc_title.variables(config, "t")["listen-addr"] == "unixsocket:/tmp/s.sock"


def test_a_long_title_takes_the_environment_s_room_and_getenv_still_works():
    code = ("import ctypes, os, time; from ops import proc_title; "
            "area = proc_title._title_area(); ok = proc_title.write('x' * 100_000); "
            "getenv = ctypes.CDLL(None).getenv; getenv.restype = ctypes.c_char_p; "
            "print(ok, area[1], getenv(b'PATH') == os.environb[b'PATH'], flush=True); "
            "time.sleep(5)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        ok, room, getenv_works = child.stdout.readline().split()
        with open(f"/proc/{child.pid}/cmdline", "rb") as cmdline:
            shown = cmdline.read()
        arguments = len(sys.executable) + len("-c") + len(code) + 3  # three, with their NULs
        assert ok == b"True" and getenv_works == b"True"
        assert int(room) > arguments  # the environment's strings are in it
        assert shown == b"x" * (int(room) - 1) + b"\0"  # cut there, with its NUL
    finally:
        child.kill()
        child.wait()
