"""Differential tests: clients' buffers count in used_memory, so they drive key eviction under
maxmemory, and `maxmemory-clients` evicts the largest clients first (Redis 7's client
eviction). The scenarios are those of Redis's own unit/maxmemory tests."""

import time

import pytest

from .rawclient import RawClient, encode_command
from .servers import start_predis, start_redis

KEYS = 50


def _fill(control) -> None:
    """11 MB of maxmemory, 5 MB of data: 50 keys of 100 KB."""
    control.call("CONFIG", "SET", "maxmemory", "11mb", "maxmemory-policy", "allkeys-lru")
    for n in range(KEYS):
        control.call("SETRANGE", str(n), "100000", "x")


def _stats(control) -> dict:
    info = control.call("INFO", "stats").decode()
    fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
    return {"evicted_keys": int(fields["evicted_keys"]),
            "evicted_clients": int(fields["evicted_clients"]), "dbsize": control.call("DBSIZE")}


def _outcome(stats: dict) -> str:
    if stats["evicted_clients"] and not stats["evicted_keys"] and stats["dbsize"] == KEYS:
        return "clients evicted"
    if stats["evicted_keys"] and not stats["evicted_clients"] and stats["dbsize"] < KEYS:
        return "keys evicted"
    return "neither" if not stats["evicted_keys"] else "both"


def _run(start, client_eviction: bool, load) -> str:
    server = start()
    try:
        control = RawClient(server.port)
        if client_eviction:
            control.call("CONFIG", "SET", "maxmemory-clients", "3mb")
            control.call("CLIENT", "NO-EVICT", "on")
        _fill(control)
        outcome, deadline = "neither", time.time() + 20
        load_state = {}
        while outcome == "neither" and time.time() < deadline:
            load(server.port, control, load_state)
            outcome = _outcome(_stats(control))
        return outcome
    finally:
        server.stop()


def _mget_without_reading(port, _control, state) -> None:
    """Clients that send MGETs of a 100 KB value and never read the replies."""
    readers = state.setdefault("clients", [RawClient(port) for _ in range(20)])
    for client in list(readers):
        try:
            client.send_raw(encode_command("MGET", "1") * 4)
        except OSError:  # evicted
            readers.remove(client)


def _publish_to_idle_subscribers(port, control, state) -> None:
    if "clients" not in state:
        state["clients"] = [RawClient(port) for _ in range(20)]
        for client in state["clients"]:
            client.call("SUBSCRIBE", "bla")
    control.call("PUBLISH", "bla", "x" * 100000)


@pytest.mark.parametrize("client_eviction", [False, True], ids=["keys", "clients"])
@pytest.mark.parametrize("load", [_mget_without_reading, _publish_to_idle_subscribers],
                         ids=["mget-output", "pubsub-output"])
def test_client_buffers_lead_to_eviction(load, client_eviction):
    outcomes = [_run(start, client_eviction, load) for start in (start_redis, start_predis)]
    assert outcomes[1] == outcomes[0] == ("clients evicted" if client_eviction else
                                          "keys evicted")


def test_client_memory_in_info_and_client_list(servers):
    """A client holding a large unfinished command: CLIENT LIST's tot-mem and INFO's
    mem_clients_normal both carry its query buffer."""
    seen = []
    for server in servers:
        holder, observer = RawClient(server.port), RawClient(server.port)
        holder.call("CLIENT", "SETNAME", "holder")
        holder.send_raw(b"*2\r\n$3\r\nGET\r\n$1000000\r\n" + b"x" * 500000)
        time.sleep(0.3)
        line = [item for item in observer.call("CLIENT", "LIST").split(b"\n")
                if b"name=holder" in item][0]
        tot_mem = int(line.split(b"tot-mem=")[1].split()[0])
        info = observer.call("INFO", "memory").decode()
        normal = int(info.split("mem_clients_normal:")[1].split("\r\n")[0])
        seen.append((tot_mem > 500000, normal > 500000))
        holder.close()
        observer.close()
    assert seen[1] == seen[0] == (True, True)
