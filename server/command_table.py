"""The command table, as data.

Each command module declares its commands with `@command(...)`: name, arity (Redis's sign rule:
positive = exact, negative = at least), flags, key positions (first, last, step), group and a
summary. ACL categories are derived from flags and group as Redis does, plus any extra given.
COMMAND / COMMAND INFO / COMMAND DOCS are generated from this table; the dispatcher checks
arity and auth from it, so handlers never do.
"""

from array import array
from dataclasses import dataclass, field

from .command_specs_data import ACL_CATEGORIES
from .latency_stats import new_histogram

TABLE: dict = {}  # lowercase name (bytes) -> CommandSpec
# What the dispatcher looks names up in: TABLE plus upper-case spellings, so the common client
# spellings ('GET', 'get') hit on the first lookup.
LOOKUP: dict = {}

# Redis's command groups -> the ACL category each one implies.
_GROUP_CATEGORY = {
    "string": "@string", "generic": "@keyspace", "connection": "@connection",
    "server": None, "bitmap": "@bitmap", "hash": "@hash", "list": "@list", "set": "@set",
    "sorted-set": "@sortedset", "stream": "@stream", "hyperloglog": "@hyperloglog",
    "pubsub": "@pubsub", "scripting": "@scripting", "transactions": "@transaction",
    "geo": "@geo", "cluster": None,
}


@dataclass(eq=False, slots=True)
class CommandSpec:
    name: str
    handler: object
    arity: int
    flags: frozenset
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    group: str = "generic"
    summary: str = ""
    since: str = "1.0.0"
    complexity: str = ""
    categories: tuple = ()
    parent: "CommandSpec" = None
    subcommands: dict = field(default_factory=dict)
    # Optional: handles a run of consecutive plain invocations (same name, exact arity) in one
    # call, returning (replies, error_count). See dispatch.execute_batch.
    batch: object = None
    batch_argc: int = 0  # the exact argument count a run handler accepts
    # statistics for INFO commandstats
    calls: int = 0
    nanoseconds: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    latency: array = field(default_factory=new_histogram)  # INFO latencystats
    audited: bool = False  # an admin action: logged with who ran it (dispatch.audit)

    @property
    def fullname(self) -> str:
        return f"{self.parent.name}|{self.name}" if self.parent else self.name

    @property
    def is_write(self) -> bool:
        return "write" in self.flags

    def key_positions(self, args: list) -> list:
        """Indexes of key arguments (negative last_key counts from the end, as in Redis)."""
        if not self.first_key:
            return []
        last = self.last_key if self.last_key >= 0 else len(args) + self.last_key
        return list(range(self.first_key, min(last, len(args) - 1) + 1, self.step or 1))

    def reset_stats(self) -> None:
        self.calls = self.nanoseconds = self.rejected_calls = self.failed_calls = 0
        self.latency = new_histogram()
        for sub in self.subcommands.values():
            sub.reset_stats()


# The order Redis lists a command's categories in (its category table's).
_CATEGORY_ORDER = {name: position for position, name in enumerate((
    "@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string", "@bitmap",
    "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow", "@blocking",
    "@dangerous", "@connection", "@transaction", "@scripting"))}


def acl_categories(spec: CommandSpec) -> list:
    """A command's ACL categories: Redis's own for its commands (command_specs_data, as the
    reference server reports them), else derived from flags and group as Redis does."""
    known = ACL_CATEGORIES.get(spec.fullname)
    if known is not None:
        return list(known)
    cats = []
    flags = spec.flags
    if "write" in flags:
        cats.append("@write")
    if "readonly" in flags and spec.group != "scripting":
        cats.append("@read")
    if "admin" in flags:
        cats += ["@admin", "@dangerous"]
    if "pubsub" in flags:
        cats.append("@pubsub")
    if "fast" in flags:
        cats.append("@fast")
    if "blocking" in flags:
        cats.append("@blocking")
    if "fast" not in flags:
        cats.append("@slow")
    group_cat = _GROUP_CATEGORY.get(spec.group)
    if group_cat and group_cat not in cats:
        cats.append(group_cat)
    for cat in spec.categories:
        if cat not in cats:
            cats.append(cat)
    return sorted(cats, key=lambda cat: _CATEGORY_ORDER.get(cat, len(_CATEGORY_ORDER)))


# Admin commands (sub)named so only look: not logged as admin actions
INSPECTIONS = {"get", "help", "list", "show", "info", "status", "history", "log", "getuser",
               "users", "whoami", "cat", "len", "latest", "doctor", "graph", "histogram",
               "predis.info", "predis.sample", "predis.drift", "predis.mrc", "lastsave"}


def command(name, arity, flags="", keys=(0, 0, 0), group="generic", summary="", since="1.0.0",
            complexity="", categories="", parent=None):
    """Register the decorated function as the handler of `name` (or of `parent|name`)."""

    def register(handler):
        spec = CommandSpec(
            name=name, handler=handler, arity=arity, flags=frozenset(flags.split()),
            first_key=keys[0], last_key=keys[1], step=keys[2], group=group, summary=summary,
            since=since, complexity=complexity, categories=tuple(categories.split()),
        )
        spec.audited = "admin" in spec.flags and name not in INSPECTIONS
        if parent is None:
            existing = TABLE.get(name.encode())
            if existing is not None:  # a container declared first keeps its subcommands
                spec.subcommands = existing.subcommands
                for sub in spec.subcommands.values():
                    sub.parent = spec
            _publish(name, spec)
        else:
            container = TABLE[parent.encode()]
            spec.parent = container
            spec.group = container.group
            container.subcommands[name.encode()] = spec
        return handler

    return register


def batched(name, argc):
    """Attach the decorated function as the run handler of `name` invoked with `argc` args."""

    def register(run_handler):
        spec = TABLE[name.encode()]
        spec.batch = run_handler
        spec.batch_argc = argc
        return run_handler

    return register


# Flags of commands that may change data or reach replicas: what CLIENT PAUSE WRITE holds and
# what a read-only script may not call
MAY_WRITE_FLAGS = frozenset({"write", "may_replicate"})
LOOP_RUN = "loop"  # CommandSpec.batch value: run the ordinary handler in a tight loop


def loop_runs(*pairs) -> None:
    """Let runs of these (name, argc) commands skip the per-command dispatch: the handler
    still runs once per command, in order, with blocked clients served after each."""
    for name, argc in pairs:
        spec = TABLE[name.encode()]
        spec.batch = LOOP_RUN
        spec.batch_argc = argc


def container(name, arity, flags="", group="generic", summary="", since="1.0.0"):
    """Declare a command that only dispatches to subcommands (CLIENT, CONFIG, OBJECT...)."""
    _publish(name, CommandSpec(
        name=name, handler=None, arity=arity, flags=frozenset(flags.split()), group=group,
        summary=summary, since=since,
    ))


def _publish(name: str, spec: CommandSpec) -> None:
    TABLE[name.encode()] = spec
    LOOKUP[name.encode()] = spec
    LOOKUP[name.upper().encode()] = spec


def lookup_command(argv):
    """Redis's lookupCommand: the spec of a full command line (any case), a container's
    subcommand when a second argument follows (None for an unknown one), or None."""
    spec = LOOKUP.get(argv[0]) or LOOKUP.get(bytes(argv[0]).lower())
    if spec is not None and spec.subcommands and len(argv) > 1:
        return spec.subcommands.get(bytes(argv[1]).lower())
    return spec


def all_commands():
    """Every top-level spec, in registration order."""
    return list(TABLE.values())


def total_calls() -> int:
    """Commands processed since the last reset (INFO total_commands_processed)."""
    return sum(spec.calls + sum(sub.calls for sub in spec.subcommands.values())
               for spec in TABLE.values())


# Commands that run others (whose times are counted too, each under its own command)
_RUN_OTHERS = frozenset({"exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall",
                         "fcall_ro"})


def total_command_ns() -> int:
    """Time spent running commands since the last reset (INFO eventloop_duration_cmd_sum):
    every command's, but that of EXEC and the script runners, whose commands are counted
    each by itself (Redis counts top-level commands only, so their own overhead is missed
    here)."""
    return sum(spec.nanoseconds + sum(sub.nanoseconds for sub in spec.subcommands.values())
               for spec in TABLE.values() if spec.name not in _RUN_OTHERS)
