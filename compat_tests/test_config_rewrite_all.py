"""DEBUG CONFIG-REWRITE-FORCE-ALL, as Redis's unit/introspection "CONFIG REWRITE sanity" uses
it: every parameter is written to the config file, and a server started from that file has
the same configuration."""

import redis

from ops.config_params import BY_NAME

from .test_config_reload import start_with_file

# Set by the command line, not the file (so a server started on the file differs there)
FROM_THE_COMMAND_LINE = {"port", "dir", "admin-port", "predis-sidecar", "save", "appendonly",
                         "bind", "enable-debug-command", "protected-mode"}


def test_forced_rewrite_writes_every_parameter_and_reads_back(tmp_path):
    conf = tmp_path / "predis.conf"
    conf.write_text("maxmemory 10mb\n")
    server = start_with_file(conf, tmp_path)
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        client.config_set("hz", 20)
        before = client.config_get("*")
        assert client.execute_command("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == "OK"
        client.close()
    finally:
        server.stop()
    written = {line.split()[0] for line in conf.read_text().splitlines()
               if line and not line.startswith("#")}
    # every parameter by its own name (not its aliases'), but replicaof on a primary (Redis
    # writes no line for it)
    missing = {name for name in before if BY_NAME[name].name not in written}
    assert missing == {"replicaof", "slaveof"}, missing
    server = start_with_file(conf, tmp_path)
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        after = client.config_get("*")
        client.close()
    finally:
        server.stop()
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed <= FROM_THE_COMMAND_LINE, {n: (before[n], after.get(n)) for n in changed}
    assert after["hz"] == "20" and after["maxmemory"] == str(10 * 1024 * 1024)


def test_a_replica_rewrites_its_replicaof_line_and_restarts_a_replica(tmp_path):
    """REPLICAOF shows in CONFIG GET and CONFIG REWRITE writes it as Redis does (host and port,
    two words), so the server started on the file again follows the same primary; REPLICAOF
    NO ONE takes the line out. Found by Redis's integration/psync2 (a restarted replica came
    back as a primary, then failed to read the line)."""
    conf = tmp_path / "predis.conf"
    conf.write_text("maxmemory 10mb\n")
    server = start_with_file(conf, tmp_path)
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        client.execute_command("REPLICAOF", "127.0.0.1", "1")
        assert client.config_get("replicaof") == {"replicaof": "127.0.0.1 1"}
        client.execute_command("CONFIG", "REWRITE")
        assert "replicaof 127.0.0.1 1" in conf.read_text().splitlines()
    finally:
        server.stop()
    server = start_with_file(conf, tmp_path)
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        assert client.info("replication")["role"] == "slave"
        client.execute_command("REPLICAOF", "NO", "ONE")
        client.execute_command("CONFIG", "REWRITE")
        assert not [line for line in conf.read_text().splitlines()
                    if line.startswith("replicaof")]
    finally:
        server.stop()
