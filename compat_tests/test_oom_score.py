"""oom-score-adj against a real redis-server: the process's /proc/<pid>/oom_score_adj follows
oom-score-adj-values for a primary, a replica and a BGSAVE child, relative to the score the
process started with or absolute, and goes back to that score with `no`."""

import glob
import os

import redis

from .servers import eventually



def score(pid: int) -> int:
    with open(f"/proc/{pid}/oom_score_adj") as handle:
        return int(handle.read())


def set_score(pid: int, value: int) -> None:
    with open(f"/proc/{pid}/oom_score_adj", "w") as handle:
        handle.write(f"{value}\n")


def error_of(call) -> str:
    try:
        call()
    except redis.ResponseError as exc:
        return str(exc)
    return ""


def test_the_score_follows_the_process_class(server):
    client, pid = redis.Redis(port=server.port), server.proc.pid
    set_score(pid, 22)  # (only raising it needs no privilege)
    client.config_set("oom-score-adj-values", "10 20 30")
    assert score(pid) == 22  # untouched while oom-score-adj is no
    client.config_set("oom-score-adj", "yes")
    assert score(pid) == 32
    client.config_set("oom-score-adj-values", "15 20 30")
    assert score(pid) == 37
    client.replicaof("localhost", 1)
    assert score(pid) == 42
    client.replicaof("no", "one")
    assert score(pid) == 37
    client.config_set("oom-score-adj", "absolute")
    assert score(pid) == 15
    client.set("key", "value")
    client.config_set("rdb-key-save-delay", 1000000)
    assert client.bgsave()
    assert eventually(lambda: glob.glob(os.path.join(server.workdir, "temp-*.rdb")), 5)
    [temp] = glob.glob(os.path.join(server.workdir, "temp-*.rdb"))
    child = int(os.path.basename(temp)[len("temp-"):-len(".rdb")])
    assert eventually(lambda: score(child) == 30, 2)
    client.config_set("oom-score-adj", "no")
    assert score(pid) == 22  # the score from before the server changed it


def test_out_of_range_values_are_refused(server):
    client = redis.Redis(port=server.port)
    for values in ("-2001 -2001 -2001", "2001 2001 2001", "1 2", "a b c"):
        error = error_of(lambda: client.config_set("oom-score-adj-values", values))
        assert error.startswith("CONFIG SET failed (possibly related to argument "
                                "'oom-score-adj-values') - "), error
    assert error_of(lambda: client.config_set("oom-score-adj-values", "2001 0 0")).endswith(
        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
    assert client.config_get("oom-score-adj-values") == {"oom-score-adj-values": "0 200 800"}
