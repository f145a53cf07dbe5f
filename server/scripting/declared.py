"""A script's declared flags as the dispatcher sees them before it runs (Redis's
getCommandFlags for EVAL and FCALL).

A script that declared flags (an EVAL script's `#!lua` line, a function) is treated by the
dispatcher like the commands it says it runs: a write command unless it declared `no-writes`,
refused when out of memory unless it declared `allow-oom` (or `no-writes`). So a read-only
replica answers READONLY, a primary short of good replicas NOREPLICAS, and a full server OOM
before such a script starts, with the same words as for SET. A script without flags keeps
EVAL's own flags and is checked command by command while it runs.
"""

from ..errors import CommandError
from .engine import sha1hex
from .shebang import script_flags

SCRIPT_RUNNERS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})
_REPLACED = frozenset({"stale", "denyoom", "write", "may_replicate"})


def running_stale(server) -> bool:
    """A replica cut off from its primary that must not serve stale data
    (replica-serve-stale-data no)."""
    link = server.master_link
    return link is not None and not link.link_up and not server.config["replica-serve-stale-data"]


def command_flags(server, spec, args):
    """spec.flags, or for a script that declared flags, the flags those make it have."""
    if spec.name not in SCRIPT_RUNNERS or len(args) < 2:
        return spec.flags
    declared = _declared(server, spec.name, args[1])
    if declared is None:
        return spec.flags
    flags = set(spec.flags) - _REPLACED
    if not {"allow-oom", "no-writes"}.intersection(declared):
        flags.add("denyoom")
    if "no-writes" not in declared:
        flags.add("write")
    if "allow-stale" in declared:
        flags.add("stale")
    return flags


def _declared(server, name: str, target):
    """The flags of the script or function `target` names (a body, a SHA1 or a function
    name), or None: no flags declared, or nothing by that name."""
    if name.startswith("fcall"):
        function = bytes(target).decode(errors="replace").lower()
        library = server.functions.get(function)
        return None if library is None else library.function(function)[2]
    body = bytes(target)
    by_body = name in ("eval", "eval_ro")
    script = server.scripts.get(sha1hex(body) if by_body else body.decode(errors="replace").lower())
    if script is not None:
        return script[1]
    if not by_body:
        return None
    try:
        return script_flags(body)[0]
    except CommandError:
        return None  # a malformed shebang: EVAL reports it when it runs
