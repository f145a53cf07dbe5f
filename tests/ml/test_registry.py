"""The model registry: immutable versions, aliases with an audit log, rollback, restarts and
broken files."""

import json
import os

import pytest

from ml.model import DEFAULT_PATH
from ml.sidecar.registry import ModelRegistry, RegistryError


class RecordingLog:
    def __init__(self):
        self.events = []

    def warning(self, event, **fields):
        self.events.append((event, fields))


def test_versions_are_numbered_checked_and_survive_a_restart(tmp_path):
    registry = ModelRegistry(str(tmp_path))
    assert registry.register(DEFAULT_PATH, source="shipped") == 1
    assert registry.register(DEFAULT_PATH, source="retrained", parent=1) == 2
    registry.move_alias("champion", 2, "test")
    again = ModelRegistry(str(tmp_path))
    assert [v for v, _ in again.versions()] == [1, 2]
    assert again.describe(2)["parent"] == 1 and again.describe(2)["source"] == "retrained"
    assert again.aliases() == {"champion": 2, "challenger": None}
    assert os.path.exists(again.model_path(1))


def test_a_file_that_is_not_a_model_is_refused_and_leaves_nothing(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    registry = ModelRegistry(str(tmp_path / "models"))
    with pytest.raises(ValueError):
        registry.register(str(junk), source="junk")
    assert registry.versions() == []
    assert os.listdir(registry.root) == []


def test_a_corrupt_version_is_skipped_with_a_log_line_and_never_used(tmp_path):
    log = RecordingLog()
    registry = ModelRegistry(str(tmp_path), log)
    registry.register(DEFAULT_PATH, source="a")
    registry.register(DEFAULT_PATH, source="b")
    with open(os.path.join(tmp_path, "v0002", "model.npz"), "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00garbage")
    assert [v for v, _ in registry.versions()] == [1]
    assert log.events[0][0] == "model_version_skipped" and log.events[0][1]["version"] == 2
    with pytest.raises(RegistryError, match="checksum"):
        registry.model_path(2)
    with pytest.raises(RegistryError):
        registry.move_alias("champion", 2, "test")
    assert registry.register(DEFAULT_PATH, source="c") == 3  # numbers are never reused


def test_alias_moves_are_audited_and_rollback_finds_the_previous_champion(tmp_path):
    registry = ModelRegistry(str(tmp_path))
    for source in "abc":
        registry.register(DEFAULT_PATH, source=source)
    assert registry.previous_champion() is None
    registry.move_alias("champion", 1, "first")
    registry.move_alias("champion", 3, "promote")
    registry.move_alias("challenger", 2, "trial")
    assert registry.previous_champion() == 1
    moves = [(e["alias"], e["from"], e["to"], e["reason"]) for e in registry.audit()]
    assert moves == [("champion", None, 1, "first"), ("champion", 1, 3, "promote"),
                     ("challenger", None, 2, "trial")]
    with pytest.raises(RegistryError, match="unknown alias"):
        registry.move_alias("canary", 1, "x")
    assert json.load(open(os.path.join(tmp_path, "aliases.json"))) == {
        "champion": 3, "challenger": 2}
