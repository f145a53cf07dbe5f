"""The ML sidecar's admin commands: PREDIS.INFO, PREDIS.SAMPLE, PREDIS.DRIFT, PREDIS.MRC,
PREDIS.RETRAIN and PREDIS.AB START|STATUS|STOP (PREDIS.MODEL is in learning.py).

Replies are flat field/value lists (nested where a field holds rows), readable in redis-cli.
What the sidecar computes is shown as of its last report (server/learning.py keeps it); nothing
here waits for the sidecar.
"""

from ..command_table import command, container
from ..errors import CommandError
from ..learning import ModelSwapError
from ..replies import OK

G = "server"
NOT_RUNNING = "ERR the ML sidecar is not running (see predis-sidecar and PREDIS.INFO)"


def _text(value):
    """Integers stay integers; everything else (floats, None, words) becomes a string."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(round(value, 6))
    return "" if value is None else str(value)


def _flat(fields: dict) -> list:
    out = []
    for name, value in fields.items():
        out.append(name)
        if isinstance(value, dict):
            out.append(_flat(value))
        elif isinstance(value, (list, tuple)):
            out.append([_flat(v) if isinstance(v, dict) else _text(v) for v in value])
        else:
            out.append(_text(value))
    return out


def _one_word(args, word: bytes) -> bool:
    """True for `COMMAND word`, False for the command alone; anything else is a syntax error."""
    if len(args) == 1:
        return False
    if len(args) == 2 and bytes(args[1]).lower() == word:
        return True
    raise CommandError("ERR syntax error")


def _number(value, kind=int):
    try:
        return kind(value)
    except ValueError:
        raise CommandError("ERR value is not an integer or out of range" if kind is int
                           else "ERR value is not a valid float") from None


@command("predis.info", 1, "admin noscript loading stale", (0, 0, 0), G, "Shows the state of "
         "the ML loop: sidecar process, sampler, drift, retraining, model swaps, A/B test.",
         "0.1.0")
def predis_info(client, args):
    learning = client.server.learning
    fields = learning.info()
    if learning.ab is not None:
        fields["ab"] = learning.ab.status()
    fields["recent_events"] = [{k: v for k, v in e.items()} for e in learning.events[-10:]]
    return _flat(fields)


@command("predis.sample", -1, "admin noscript loading stale", (0, 0, 0), G, "Shows the access "
         "sampler's counters; PREDIS.SAMPLE RATE <rate> sets predis-sample-rate.", "0.1.0")
def predis_sample(client, args):
    server = client.server
    if len(args) == 3 and bytes(args[1]).lower() == b"rate":
        from ops.config import ConfigError

        rate = bytes(args[2]).decode(errors="replace")
        try:
            server.config.set_many([("predis-sample-rate", rate)])
        except ConfigError as exc:
            raise CommandError(f"ERR Invalid argument '{rate}' for PREDIS.SAMPLE RATE - "
                               f"{exc.reason}") from None
        return OK
    if len(args) != 1:
        raise CommandError("ERR syntax error")
    sampler = server.learning.sampler
    stats = sampler.stats() if sampler is not None else {"rate": 0.0}
    stats["rate"] = server.config["predis-sample-rate"]
    stats["active"] = int(server.keyspace.access.sampler is not None)
    return _flat(stats)


@command("predis.drift", 1, "admin noscript loading stale", (0, 0, 0), G, "Shows drift "
         "detection: windows checked, the last window's scores, declared drifts (as warm "
         "window numbers and as ticks of the sampled-request clock).", "0.1.0")
def predis_drift(client, args):
    server = client.server
    state = server.learning.sidecar
    config = server.config
    recent = [{"window": w.get("window", ""), "end_tick": w["end_tick"],
               "warm": w["warm"], "hit_ratio": w["hit_ratio"],
               "over": " ".join(w.get("over", [])), "drift": w.get("drift", False)}
              for w in state.get("recent_windows", [])]
    return _flat({"windows": state.get("windows", 0), "ticks": state.get("ticks", 0),
                  "window_size": config["predis-drift-window"],
                  "patience": config["predis-drift-patience"],
                  "psi_threshold": config["predis-drift-psi-threshold"],
                  "ks_alpha": config["predis-drift-ks-alpha"],
                  "streak": state.get("drift_streak", 0),
                  "detections": state.get("drift_detections", []),
                  "detection_ticks": state.get("drift_detection_ticks", []),
                  "over": " ".join(state.get("drift_over", [])),
                  "scores": state.get("drift_scores", {}), "recent": recent})


@command("predis.mrc", -1, "admin noscript loading stale", (0, 0, 0), G, "Shows the miss-ratio "
         "curve: estimated hit ratios at other cache sizes per policy; PREDIS.MRC REFRESH asks "
         "the sidecar to recompute it now.", "0.1.0")
def predis_mrc(client, args):
    learning = client.server.learning
    if _one_word(args, b"refresh"):
        if not learning.request("mrc"):
            raise CommandError(NOT_RUNNING)
        return OK
    mrc = learning.sidecar.get("mrc")
    if not mrc:
        raise CommandError("ERR no miss-ratio curve yet: the sidecar has not seen sampled "
                           "accesses")
    policies = [name for name in ("lru", "allkeys-lfu", "allkeys-s3fifo", "volatile-learned")
                if name in mrc]
    rows = []
    for index, size in enumerate(mrc["sizes"]):
        row = {"memory_factor": mrc["factors"][index], "keys": size}
        row.update({f"{name}_hit_ratio": 1.0 - mrc[name][index] for name in policies})
        rows.append(_flat(row))
    return ["sampled_requests", mrc["requests"], "rate", _text(mrc["rate"]),
            "live_keys", mrc["live_size"], "lru_estimate", mrc["lru_estimate"],
            "reuse_samples", mrc["reuse_samples"], "curve", rows]


@command("predis.retrain", -1, "admin noscript loading stale", (0, 0, 0), G, "Starts a "
         "retrain of the eviction model on the sidecar's sample; PREDIS.RETRAIN HISTORY lists "
         "recent retrains and their outcome.", "0.1.0")
def predis_retrain(client, args):
    learning = client.server.learning
    if _one_word(args, b"history"):
        return [_flat(outcome) for outcome in learning.sidecar.get("retrains", [])]
    running = learning.sidecar.get("retraining")
    if running:
        raise CommandError(f"ERR a retrain is already running (trigger: {running})")
    if not learning.request("retrain", reason="PREDIS.RETRAIN"):
        raise CommandError(NOT_RUNNING)
    return OK


container("predis.ab", -2, "", G, "A container for the A/B test commands.", "0.1.0")


@command("start", -2, "admin noscript", (0, 0, 0), G, "Starts an A/B test of a model version "
         "(default: the challenger) on a slice of the keys: PREDIS.AB START [version] "
         "[SLICE percent].", "0.1.0", parent="predis.ab")
def ab_start(client, args):
    server = client.server
    rest = [bytes(a) for a in args[2:]]
    slice_percent = server.config["predis-ab-slice"]
    if len(rest) >= 2 and rest[-2].lower() == b"slice":
        slice_percent = _number(rest[-1])
        if not 1 <= slice_percent <= 50:
            raise CommandError("ERR SLICE must be between 1 and 50")
        rest = rest[:-2]
    if len(rest) > 1:
        raise CommandError("ERR syntax error")
    if rest:
        version = _number(rest[0])
    else:
        version = server.model_registry().aliases()["challenger"]
        if version is None:
            raise CommandError("ERR no challenger: give a model version")
    if not server.maxmemory:
        raise CommandError("ERR A/B tests need maxmemory: with no limit nothing is evicted")
    try:
        server.learning.start_ab(version, slice_percent)
    except ModelSwapError as exc:
        raise CommandError(f"ERR {exc}") from None
    return OK


@command("status", 2, "admin noscript loading stale", (0, 0, 0), G, "Shows the running A/B "
         "test and the results of earlier ones.", "0.1.0", parent="predis.ab")
def ab_status(client, args):
    learning = client.server.learning
    running = learning.ab.status() if learning.ab is not None else None
    return _flat({"running": int(running is not None), "test": running or {},
                  "finished": learning.ab_results[-10:]})


@command("stop", -2, "admin noscript", (0, 0, 0), G, "Ends the A/B test now: PROMOTE makes the "
         "challenger champion, ROLLBACK (the default) keeps the champion.", "0.1.0",
         parent="predis.ab")
def ab_stop(client, args):
    learning = client.server.learning
    if len(args) > 3:
        raise CommandError("ERR syntax error")
    outcome = bytes(args[2]).lower().decode(errors="replace") if len(args) == 3 else "rollback"
    if outcome not in ("promote", "rollback"):
        raise CommandError("ERR syntax error")
    if learning.ab is None:
        raise CommandError("ERR no A/B test is running")
    try:
        learning.finish_ab(outcome, reason="PREDIS.AB STOP")
    except ModelSwapError as exc:
        raise CommandError(f"ERR {exc}") from None
    return OK
