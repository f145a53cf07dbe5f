"""The model registry: immutable numbered versions of the eviction model, the aliases
`champion` and `challenger`, and an audit log of every alias move.

Layout under the registry's root (the server uses `<dir>/predis-models`):

    v0001/model.npz      the weights, exactly as `predis train` / EvictionModel.save wrote them
    v0001/meta.json      created, parent, source, sha256 of model.npz, the model's own metadata
    aliases.json         {"champion": 1, "challenger": null}
    audit.log            one JSON object per alias move: time, alias, from, to, reason

A version is written to a temporary folder and renamed into place, so it appears whole or not
at all, and is never written again. A version whose files are missing, unreadable or whose
checksum disagrees is skipped with a log line and can never be loaded or aliased.
"""

import hashlib
import json
import os
import shutil
import tempfile
import time

from ..model import EvictionModel

ALIASES = ("champion", "challenger")
MODEL_FILE, META_FILE = "model.npz", "meta.json"


class RegistryError(ValueError):
    pass


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: str, value) -> None:
    """Replace a JSON file atomically (write a temporary file, then rename)."""
    folder = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class ModelRegistry:
    def __init__(self, root: str, log=None):
        self.root = root
        self.log = log
        os.makedirs(root, exist_ok=True)

    # -- versions ------------------------------------------------------------------------------
    def _folder(self, version: int) -> str:
        return os.path.join(self.root, f"v{version:04d}")

    def _numbers(self) -> list:
        found = []
        for name in os.listdir(self.root):
            if name.startswith("v") and name[1:].isdigit():
                found.append(int(name[1:]))
        return sorted(found)

    def describe(self, version: int) -> dict:
        """A version's metadata, checked against its files; RegistryError if it is broken."""
        folder = self._folder(version)
        try:
            with open(os.path.join(folder, META_FILE)) as handle:
                meta = json.load(handle)
            checksum = _sha256(os.path.join(folder, MODEL_FILE))
        except (OSError, ValueError) as exc:
            raise RegistryError(f"version {version} is unreadable: {exc}") from None
        if meta.get("sha256") != checksum:
            raise RegistryError(f"version {version} does not match its checksum")
        return meta

    def versions(self) -> list:
        """(version, metadata) of every intact version, oldest first; broken ones are logged
        and left out."""
        intact = []
        for version in self._numbers():
            try:
                intact.append((version, self.describe(version)))
            except RegistryError as exc:
                if self.log is not None:
                    self.log.warning("model_version_skipped", version=version, reason=str(exc))
        return intact

    def register(self, model_path: str, source: str, parent: int | None = None) -> int:
        """Copy a model file in as the next version (after checking it loads); its number."""
        model = EvictionModel.load(model_path)  # raises on a file that is not a model
        version = (self._numbers() or [0])[-1] + 1
        staging = tempfile.mkdtemp(dir=self.root, prefix=".new-")
        try:
            shutil.copyfile(model_path, os.path.join(staging, MODEL_FILE))
            meta = {"version": version, "created": time.time(), "source": source,
                    "parent": parent, "sha256": _sha256(os.path.join(staging, MODEL_FILE)),
                    "model": model.meta}
            _write_json(os.path.join(staging, META_FILE), meta)
            os.rename(staging, self._folder(version))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def model_path(self, version: int) -> str:
        self.describe(version)  # only intact versions are ever loaded
        return os.path.join(self._folder(version), MODEL_FILE)

    # -- aliases and their audit log -----------------------------------------------------------
    def aliases(self) -> dict:
        try:
            with open(os.path.join(self.root, "aliases.json")) as handle:
                stored = json.load(handle)
        except (OSError, ValueError):
            stored = {}
        return {name: stored.get(name) for name in ALIASES}

    def move_alias(self, alias: str, version: int | None, reason: str) -> None:
        if alias not in ALIASES:
            raise RegistryError(f"unknown alias '{alias}'")
        if version is not None:
            self.describe(version)
        aliases = self.aliases()
        previous, aliases[alias] = aliases[alias], version
        _write_json(os.path.join(self.root, "aliases.json"), aliases)
        entry = {"time": time.time(), "alias": alias, "from": previous, "to": version,
                 "reason": reason}
        with open(os.path.join(self.root, "audit.log"), "a") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def audit(self) -> list:
        try:
            with open(os.path.join(self.root, "audit.log")) as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except OSError:
            return []

    def previous_champion(self) -> int | None:
        """The intact version that was champion before the current one (for ROLLBACK)."""
        current = self.aliases()["champion"]
        intact = {version for version, _ in self.versions()}
        for entry in reversed(self.audit()):
            if entry["alias"] == "champion" and entry["to"] == current:
                earlier = entry["from"]
                if earlier in intact and earlier != current:
                    return earlier
        return None
