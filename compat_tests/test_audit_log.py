"""Predis-only: admin actions are logged (structlog JSON) with who ran them and what, model
changes name who asked, and neither leaks a secret or logs mere inspections."""

import json

import redis

from ml.train import hot_evicting_model

from .servers import start_predis


def log_events(server) -> list:
    server.log.flush()
    with open(server.log.name, encoding="utf-8", errors="replace") as handle:
        return [json.loads(line) for line in handle if line.startswith("{")]


def test_admin_actions_and_model_changes_are_logged_with_who_and_what(tmp_path):
    server = start_predis(("--dir", str(tmp_path), "--maxmemory", "10mb",
                           "--maxmemory-policy", "allkeys-learned"))
    try:
        admin = redis.Redis(port=server.port)
        admin.execute_command("ACL", "SETUSER", "ops", "on", ">hunter2-secret", "+@all", "~*")
        ops = redis.Redis(port=server.port, username="ops", password="hunter2-secret")
        ops.config_set("requirepass", "another-secret")
        ops.config_get("maxmemory")  # an inspection: not an action
        model = tmp_path / "m.npz"
        hot_evicting_model().save(str(model))
        ops.execute_command("PREDIS.MODEL", "LOAD", str(model))
        try:
            ops.execute_command("PREDIS.MODEL", "PROMOTE", 99)
        except redis.ResponseError:
            pass
        ops_id = ops.client_id()
        events = log_events(server)
    finally:
        server.stop()
    actions = [e for e in events if e["event"] == "admin_command"]
    assert [a["command"] for a in actions] == ["acl|setuser", "config|set", "predis.model|load",
                                               "predis.model|promote"]
    setuser, config_set, load, promote = actions
    assert setuser["acl_user"] == "ops" and setuser["user"] == "default"
    assert config_set == {**config_set, "user": "ops", "client_id": ops_id,
                          "params": ["requirepass"], "ok": True}
    assert load["args"] == ["LOAD", str(model)] and load["ok"] is True
    assert promote["ok"] is False and promote["args"] == ["PROMOTE", "99"]
    assert "99" in promote["error"]
    (change,) = [e for e in events if e["event"] == "ml_champion_changed"]
    assert change["version"] == 1 and f"client {ops_id}, user ops" in change["reason"]
    text = "\n".join(json.dumps(e) for e in events)
    assert "hunter2-secret" not in text and "another-secret" not in text
