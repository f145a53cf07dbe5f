"""TLS: a tls-port next to (or instead of) the plain port, client certificates required,
optional or not asked for; redis-py and redis-cli connect; the same replies as redis-server
over TLS. The certificates are made here with the openssl command line."""

import os
import ssl
import subprocess
import sys
import tempfile

import pytest
import redis

from .servers import (ROOT, ServerProcess, client_without_retries, free_port, start_predis,
                      start_redis)


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs():
    folder = tempfile.mkdtemp(prefix="predis-tls-")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=Predis test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
                 f"{name}.key", "-out", f"{name}.csr", cwd=folder)
        with open(os.path.join(folder, f"{name}.ext"), "w") as handle:
            handle.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out",
                 f"{name}.crt", cwd=folder)
    return {name: os.path.join(folder, name) for name in
            ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


def tls_args(certs, port, auth="yes"):
    return ("--tls-port", str(port), "--tls-cert-file", certs["server.crt"],
            "--tls-key-file", certs["server.key"], "--tls-ca-cert-file", certs["ca.crt"],
            "--tls-auth-clients", auth)


def tls_client(port, certs, with_cert=True):
    extra = {"ssl_certfile": certs["client.crt"], "ssl_keyfile": certs["client.key"]} \
        if with_cert else {}
    return client_without_retries(port, ssl=True, ssl_ca_certs=certs["ca.crt"], **extra)


def _answers_over_tls(port, certs) -> bool:
    try:
        return tls_client(port, certs).ping()
    except redis.ConnectionError:
        return False


def test_same_replies_over_tls_as_redis_server(certs):
    ports = [free_port(), free_port()]
    servers = [start_redis(tls_args(certs, ports[0])), start_predis(tls_args(certs, ports[1]))]
    try:
        clients = [tls_client(port, certs) for port in ports]
        for client in clients:
            client.set("k", "v" * 1000)
            client.rpush("l", *range(100))
        for command in (("GET", "k"), ("LRANGE", "l", "0", "-1"), ("PING",), ("DBSIZE",),
                        ("GET", "missing"), ("INCR", "k")):
            replies = []
            for client in clients:
                try:
                    replies.append(client.execute_command(*command))
                except redis.ResponseError as exc:
                    replies.append(str(exc))
            assert replies[0] == replies[1], command
        with pytest.raises((redis.ConnectionError, ssl.SSLError)):  # no client certificate
            tls_client(ports[1], certs, with_cert=False).ping()
        plain = redis.Redis(port=servers[1].port)
        assert plain.get("k") == b"v" * 1000  # the plain port serves the same data
    finally:
        for server in servers:
            server.stop()


def test_tls_only_with_optional_client_certificates_and_redis_cli(certs, tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "predis", "--port", "0", "--bind", "127.0.0.1", "--save", "",
            "--dir", str(tmp_path), *tls_args(certs, port, auth="optional")]
    server = ServerProcess(argv, port, str(tmp_path), cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=ROOT),
                           ready=lambda p: _answers_over_tls(p, certs))
    try:
        assert tls_client(port, certs, with_cert=False).set("a", "1")
        assert tls_client(port, certs).get("a") == b"1"
        out = subprocess.run(["redis-cli", "-p", str(port), "--tls", "--cacert",
                              certs["ca.crt"], "GET", "a"], capture_output=True, text=True,
                             timeout=30)
        assert out.stdout.strip() == "1", out.stderr
    finally:
        server.stop()


def test_missing_certificates_stop_the_start(certs, tmp_path):
    run = subprocess.run([sys.executable, "-m", "predis", "--port", str(free_port()),
                          "--tls-port", str(free_port()), "--tls-cert-file",
                          str(tmp_path / "missing.crt"), "--tls-key-file",
                          str(tmp_path / "missing.key"), "--tls-auth-clients", "no"],
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "Failed to configure TLS" in run.stderr
