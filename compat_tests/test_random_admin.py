"""Hypothesis: the commands whose replies differ by nature between two servers (CLIENT, CONFIG
GET, OBJECT, MEMORY, LATENCY, SLOWLOG, COMMAND, FUNCTION, SCRIPT, XINFO, XPENDING, XCLAIM,
PUBSUB, HELLO, ...), with a drawn subcommand and zero to three drawn arguments: both servers
refuse the same commands, with the same words. Their successful replies (ids, addresses,
timings, memory) are left to their own tests. It found COMMAND GETKEYS and ACL DRYRUN taking
a container's unknown subcommand for the container, HELLO reading its options before the
version, FUNCTION LOAD's options read by count, CLIENT LIST TYPE with more arguments and
ACL LOG refusing a negative count (Redis lists nothing).

Left out: what Redis 7.0 (the reference) does not have (WAITAOF, CLIENT NO-TOUCH, CLIENT
SETINFO, CLIENT KILL MAXAGE), and what changes the connection (CLIENT PAUSE, REPLY,
TRACKING, HELLO 3). `FUZZ_EXAMPLES` sets the number of commands (300 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .conftest import as_72
from .rawclient import Err

SUBCOMMANDS = {
    "CLIENT": ["ID", "INFO", "LIST", "KILL", "GETNAME", "SETNAME", "NO-EVICT", "UNPAUSE",
               "CACHING", "GETREDIR", "TRACKINGINFO", "UNBLOCK", "HELP", "NOSUCH"],
    "CONFIG": ["GET", "RESETSTAT", "HELP", "NOSUCH"],
    "OBJECT": ["ENCODING", "FREQ", "IDLETIME", "REFCOUNT", "HELP", "NOSUCH"],
    "MEMORY": ["USAGE", "DOCTOR", "STATS", "MALLOC-STATS", "PURGE", "HELP", "NOSUCH"],
    "LATENCY": ["LATEST", "HISTORY", "RESET", "GRAPH", "DOCTOR", "HISTOGRAM", "HELP", "NOSUCH"],
    "SLOWLOG": ["GET", "LEN", "RESET", "HELP", "NOSUCH"],
    "COMMAND": ["COUNT", "INFO", "DOCS", "GETKEYS", "GETKEYSANDFLAGS", "LIST", "HELP", "NOSUCH"],
    "FUNCTION": ["LIST", "DUMP", "STATS", "DELETE", "FLUSH", "KILL", "RESTORE", "LOAD", "HELP",
                 "NOSUCH"],
    "SCRIPT": ["EXISTS", "FLUSH", "KILL", "LOAD", "HELP", "NOSUCH", "DEBUG"],
    "XINFO": ["STREAM", "GROUPS", "CONSUMERS", "HELP", "NOSUCH"],
    "PUBSUB": ["CHANNELS", "NUMSUB", "NUMPAT", "SHARDCHANNELS", "SHARDNUMSUB", "HELP", "NOSUCH"],
    "XGROUP": ["CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER", "HELP", "NOSUCH"],
    "ACL": ["DRYRUN", "CAT", "GETUSER", "LOG", "WHOAMI", "USERS", "LIST", "GENPASS", "NOSUCH"],
    "XPENDING": [], "XCLAIM": [], "XAUTOCLAIM": [], "INFO": [], "TIME": [], "LASTSAVE": [],
    "ROLE": [], "SELECT": [], "SWAPDB": [], "HELLO": [], "ECHO": [], "PING": [], "WAIT": [],
}
ARGUMENT = st.sampled_from([
    "s", "l", "h", "z", "st", "x", "nokey", "0", "-1", "1", "abc", "*", "COUNT", "10", "", "1.5",
    "-", "+", "ID", "TYPE", "normal", "pubsub", "replica", "master", "USER", "default", "ADDR",
    "LADDR", "SKIPME", "yes", "no", "ON", "OFF", "ALL", "a b", "FILTERBY", "MODULE", "ACLCAT",
    "PATTERN", "get", "set", "client|list", "SAMPLES", "g", "c", "IDLE", "JUSTID", "$", "0-0",
    "MKSTREAM", "ENTRIESREAD", "FULL", "LIBRARYNAME", "WITHCODE", "REPLACE", "APPEND", "FLUSH",
    "ASYNC", "SYNC", "TIMEOUT", "ERROR", "maxmemory", "port", "*max*", "2", "AUTH", "SETNAME",
    "127.0.0.1:1", "100", "FORCE", "RETRYCOUNT", "TIME", "LASTID"])
DATASET = [("SET", "s", "hello"), ("RPUSH", "l", "a"), ("HSET", "h", "f", "v"),
           ("ZADD", "z", "1", "a"), ("SADD", "st", "a"), ("XADD", "x", "1-1", "f", "v"),
           ("XGROUP", "CREATE", "x", "g", "0"), ("CLIENT", "SETNAME", "c")]


@pytest.fixture(scope="module")
def clients(pair_clients):
    """A client on each server, with the dataset loaded."""
    for client in pair_clients:
        for entry in DATASET:
            client.call(*entry)
    return pair_clients


def _allowed(words: list) -> bool:
    name = words[0]
    if name == "CLIENT" and "MAXAGE" in words:
        return False
    if name == "HELLO" and words[1:2] == ["3"]:
        return False
    if name == "WAIT":  # (only arguments that answer at once)
        return all(word in ("0", "-1", "abc", "1.5") for word in words[1:])
    return True


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_admin_commands_refuse_what_redis_refuses(clients, data):
    name = data.draw(st.sampled_from(sorted(SUBCOMMANDS)), label="command")
    words = [name] + ([data.draw(st.sampled_from(SUBCOMMANDS[name]), label="subcommand")]
                      if SUBCOMMANDS[name] else [])
    words += data.draw(st.lists(ARGUMENT, max_size=3), label="arguments")
    assume(_allowed(words))
    redis_reply, predis_reply = as_72(clients[0].call(*words)), clients[1].call(*words)
    for client in clients:
        client.call("SELECT", "0")
    assert isinstance(predis_reply, Err) == isinstance(redis_reply, Err), (words, redis_reply,
                                                                            predis_reply)
    if isinstance(redis_reply, Err):
        assert predis_reply == redis_reply, words
