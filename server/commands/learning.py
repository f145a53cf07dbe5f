"""Predis's own admin commands for the learned eviction policy: PREDIS.MODEL LOAD/INFO."""

from ..command_table import command, container
from ..errors import CommandError
from ..replies import OK

G = "server"

container("predis.model", -2, "", G, "A container for the learned eviction model's commands.",
          "0.1.0")


@command("load", 3, "admin noscript", (0, 0, 0), G, "Loads a learned eviction model (.npz from "
         "`predis train`); the running policy uses it from the next eviction.", "0.1.0",
         parent="predis.model")
def model_load(client, args):
    path = bytes(args[2]).decode("utf-8", "surrogateescape")
    try:
        client.server.evictor.load_model(path)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(f"ERR can't load the model from '{path}': {exc}") from None
    client.server.log.info("model_loaded", path=path)
    return OK


@command("info", 2, "admin noscript", (0, 0, 0), G, "Describes the learned eviction model in "
         "use.", "0.1.0", parent="predis.model")
def model_info(client, args):
    evictor = client.server.evictor
    meta = evictor.model.meta
    return ["path", evictor.model_path,
            "policy", client.server.config["maxmemory-policy"],
            "hidden", " ".join(str(h) for h in meta.get("hidden", [])),
            "traces", " ".join(meta.get("traces", [])),
            "train_fraction", str(meta.get("train_fraction", "")),
            "rows", str(meta.get("rows", "")),
            "command", meta.get("command", "")]
