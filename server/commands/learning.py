"""Predis's own admin commands for the learned eviction policy: PREDIS.MODEL LOAD, INFO, LIST,
SHOW, PROMOTE, ROLLBACK, ASSIGN (a tenant's own model). Versions live in the model registry (ml/sidecar/registry.py, under
`<dir>/predis-models`); promoting a version swaps the model in between two commands (the
event loop runs one command at a time), so no request sees half a model."""

import time

from ml.sidecar.registry import RegistryError

from ..command_table import command, container
from ..learning import ModelSwapError
from ..errors import CommandError
from ..replies import OK

G = "server"

container("predis.model", -2, "", G, "A container for the learned eviction model's commands.",
          "0.1.0")


def _version(value) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError("ERR value is not an integer or out of range") from None


def _make_champion(client, version: int, reason: str) -> None:
    reason = f"{reason} (client {client.id}, user {client.user})"  # who, in the audit trail
    try:
        client.server.learning.make_champion(version, reason)
    except ModelSwapError as exc:
        raise CommandError(f"ERR {exc}") from None


@command("load", 3, "admin noscript", (0, 0, 0), G, "Registers a learned eviction model (.npz "
         "from `predis train`) as a new version and makes it the champion; the running policy "
         "uses it from the next eviction.", "0.1.0", parent="predis.model")
def model_load(client, args):
    path = bytes(args[2]).decode("utf-8", "surrogateescape")
    try:
        version = client.server.model_registry().register(
            path, source=path, parent=client.server.model_version)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(f"ERR can't load the model from '{path}': {exc}") from None
    _make_champion(client, version, f"LOAD {path}")
    return OK


@command("promote", 3, "admin noscript", (0, 0, 0), G, "Makes a registered model version the "
         "champion, swapping it in at once.", "0.1.0", parent="predis.model")
def model_promote(client, args):
    _make_champion(client, _version(args[2]), "PROMOTE")
    return OK


@command("rollback", -2, "admin noscript", (0, 0, 0), G, "Makes the previous champion (or the "
         "given version) the champion again.", "0.1.0", parent="predis.model")
def model_rollback(client, args):
    if len(args) > 3:
        raise CommandError("ERR syntax error")
    if len(args) == 3:
        version = _version(args[2])
    else:
        version = client.server.model_registry().previous_champion()
        if version is None:
            raise CommandError("ERR no earlier champion to roll back to")
    _make_champion(client, version, "ROLLBACK")
    return OK


def _created(meta) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(meta.get("created", 0)))


@command("list", 2, "admin noscript", (0, 0, 0), G, "Lists the registered model versions, "
         "oldest first, with their aliases.", "0.1.0", parent="predis.model")
def model_list(client, args):
    registry = client.server.model_registry()
    aliases = registry.aliases()
    rows = []
    for version, meta in registry.versions():
        named = [alias for alias, target in aliases.items() if target == version]
        rows.append(["version", version, "created", _created(meta), "source",
                     meta.get("source", ""), "aliases", " ".join(named)])
    return rows


@command("show", 3, "admin noscript", (0, 0, 0), G, "Describes one registered model version.",
         "0.1.0", parent="predis.model")
def model_show(client, args):
    version = _version(args[2])
    try:
        meta = client.server.model_registry().describe(version)
    except RegistryError as exc:
        raise CommandError(f"ERR {exc}") from None
    model = meta.get("model", {})
    return ["version", version, "created", _created(meta), "source", meta.get("source", ""),
            "parent", "" if meta.get("parent") is None else str(meta["parent"]),
            "sha256", meta.get("sha256", ""),
            "hidden", " ".join(str(h) for h in model.get("hidden", [])),
            "traces", " ".join(model.get("traces", [])),
            "rows", str(model.get("rows", ""))]


@command("info", 2, "admin noscript", (0, 0, 0), G, "Describes the learned eviction model in "
         "use.", "0.1.0", parent="predis.model")
def model_info(client, args):
    server = client.server
    evictor = server.evictor
    meta = evictor.model.meta
    version = server.model_version
    return ["path", evictor.model_path,
            "version", "" if version is None else str(version),
            "policy", server.config["maxmemory-policy"],
            "hidden", " ".join(str(h) for h in meta.get("hidden", [])),
            "traces", " ".join(meta.get("traces", [])),
            "train_fraction", str(meta.get("train_fraction", "")),
            "rows", str(meta.get("rows", "")),
            "command", meta.get("command", "")]


@command("assign", 4, "admin noscript", (0, 0, 0), G, "Gives a tenant (predis-tenants) its own "
         "model version for the evictions that keep it within its quota: PREDIS.MODEL ASSIGN "
         "<prefix> <version|NONE>.", "0.1.0", parent="predis.model")
def model_assign(client, args):
    server = client.server
    prefix = bytes(args[2])
    tenant = server.tenants.by_prefix(prefix) if server.tenants is not None else None
    if tenant is None:
        raise CommandError(f"ERR no tenant '{prefix.decode('utf-8', 'replace')}' "
                           "(see predis-tenants)")
    if bytes(args[3]).lower() == b"none":
        tenant.model_version = tenant.weights = None
        return OK
    version = _version(args[3])
    try:
        model, _ = server.learning.load_version(version)
    except ModelSwapError as exc:
        raise CommandError(f"ERR {exc}") from None
    tenant.model_version, tenant.weights = version, model.arrays()
    return OK
