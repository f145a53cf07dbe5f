"""The process title `ps` and /proc/PID/cmdline show, as Redis's `set-proc-title` and
`proc-title-template` make it: "{title} {listen-addr} {server-mode}" by default, e.g.
`predis-server 127.0.0.1:6379`; forked children title themselves by their job, with Redis's
names (redis-rdb-bgsave, redis-aof-rewrite, redis-rdb-to-slaves).

On Linux the title is written over the memory holding the process's own arguments and, once
the C environment's strings were copied elsewhere (as Redis's setproctitle does), over theirs
too: where /proc/self/stat says they lie. A longer title is cut there. /proc/PID/environ then
shows the title's bytes, as with Redis.
"""

import ctypes
import sys

INVALID = "template format is invalid or contains unknown variables"
CHILD_TITLES = {"bgsave": "redis-rdb-bgsave", "aof": "redis-aof-rewrite",
                "fullsync": "redis-rdb-to-slaves"}


def program_name() -> str:
    """{title} of the server process: the program as it was run (`predis-server`'s path), or
    `predis-server` when it was run as `python -m predis`."""
    run_as = sys.argv[0] if sys.argv else ""
    return "predis-server" if not run_as or run_as.endswith(".py") else run_as


def expand(template: str, values: dict):
    """Redis's sdstemplate: `{name}` replaced by values[name], `{{` a literal brace; the result
    trimmed of spaces, or None for an unknown name or a brace left open."""
    out, at = [], 0
    while at < len(template):
        opening = template.find("{", at)
        if opening < 0:
            out.append(template[at:])
            break
        out.append(template[at:opening])
        if opening + 1 == len(template):
            return None
        if template[opening + 1] == "{":
            out.append("{")
            at = opening + 2
            continue
        closing = template.find("}", opening + 1)
        value = values.get(template[opening + 1:closing]) if closing >= 0 else None
        if value is None:
            return None
        out.append(value)
        at = closing + 1
    return "".join(out).strip(" ")


def variables(config, title: str) -> dict:
    """The template's variables, from the configuration as Redis takes them from its own
    (while the configuration is being built, from what it has so far)."""
    values = config.values
    port, tls_port = values.get("port", 0), values.get("tls-port", 0)
    socket, bind = values.get("unixsocket", ""), values.get("bind", ())
    if port or tls_port:
        listening = f"{bind[0] if bind else '*'}:{port or tls_port}"
    else:
        listening = f"unixsocket:{socket}"
    return {"title": title, "listen-addr": listening, "server-mode": "",
            "config-file": config.config_file or "-", "port": str(port),
            "tls-port": str(tls_port), "unixsocket": socket}


def valid(template: str, config) -> bool:
    """What CONFIG SET accepts: a template that expands, to something."""
    return bool(expand(template, variables(config, "")))


def apply(config, title: str = None) -> bool:
    """Title this process by the configured template (`title`: a child's job; by default the
    program's name). False where the title could not be written."""
    text = expand(config["proc-title-template"], variables(config, title or program_name()))
    return text is not None and write(text)


def write(text: str) -> bool:
    area = _title_area()
    if area is None:
        return False
    start, size = area
    data = text.encode("utf-8", "replace")[:size - 1]
    ctypes.memmove(start, data + bytes(size - len(data)), size)  # (the rest: NULs)
    return True


_kept = []  # the copies the C environment points at now (they must outlive the process)
_environment_moved = False


def _title_area():
    """(address, length) of the memory the title may take, or None off Linux: the argument
    strings, and the environment strings after them once those are copied elsewhere."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        # fields 48-51: arg_start, arg_end, env_start, env_end
        arg_start, arg_end, env_start, env_end = (int(f) for f in fields[45:49])
    except (OSError, IndexError, ValueError):
        return None
    if arg_end <= arg_start:
        return None
    if env_start == arg_end and env_end > env_start and (_environment_moved or _move_environment(
            env_start, env_end)):
        return arg_start, env_end - arg_start
    return arg_start, arg_end - arg_start


def _move_environment(start: int, end: int) -> bool:
    """Point the C environment's entries that lie in [start, end) at copies (as Redis's
    setproctitle does at start), and glibc's program_invocation_name too (it points into the
    arguments); getenv() then reads the copies and the old strings are free for the title."""
    global _environment_moved
    try:
        libc = ctypes.CDLL(None)
        environ = ctypes.c_void_p.in_dll(libc, "environ").value
    except (OSError, ValueError):
        return False
    entries = ctypes.cast(environ, ctypes.POINTER(ctypes.c_void_p)) if environ else None
    index = 0
    while entries is not None and entries[index]:
        address = entries[index]
        if start <= address < end:
            copy = ctypes.create_string_buffer(ctypes.string_at(address))
            _kept.append(copy)
            entries[index] = ctypes.addressof(copy)
        index += 1
    for name in ("program_invocation_name", "program_invocation_short_name"):
        try:
            pointer = ctypes.c_void_p.in_dll(libc, name)
        except ValueError:
            continue
        if pointer.value:
            copy = ctypes.create_string_buffer(ctypes.string_at(pointer.value))
            _kept.append(copy)
            pointer.value = ctypes.addressof(copy)
    _environment_moved = True
    return True


def follow(config) -> None:
    """Title the server (with set-proc-title) and title it again when what the title shows
    changes: the template (whatever set-proc-title says, as Redis), the port, TLS port or bind
    address (with set-proc-title)."""
    if config["set-proc-title"]:
        apply(config)
    config.on_change["proc-title-template"] = lambda _template: apply(config)
    for name in ("port", "tls-port", "bind"):
        config.on_change[name] = _retitling(config, config.on_change.get(name))


def _retitling(config, hook):
    def change(value):
        if hook is not None:
            hook(value)
        if config["set-proc-title"]:
            apply(config)
    return change
