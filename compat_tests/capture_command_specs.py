"""Writes server/command_specs_data.py from a reference redis-server's COMMAND reply: each
command's key specifications (with their notes), command tips and ACL categories, which
clients read from COMMAND INFO, COMMAND GETKEYS / GETKEYSANDFLAGS follow and ACL rules use.

    python -m compat_tests.capture_command_specs [--port PORT]

Without --port it starts the installed redis-server on a free port. Re-run it when the
reference server changes, then review the diff (Predis follows Redis 7.2; the reference
installed here is 7.0, and where 7.2 differs the data file says so in a comment)."""

import argparse
import os
import pprint

from .rawclient import RawClient
from .servers import ROOT, start_redis

OUTPUT = os.path.join(ROOT, "server", "command_specs_data.py")

HEADER = '''"""Key specifications, command tips and ACL categories as Redis reports them in COMMAND INFO
(captured from a reference redis-server by compat_tests/capture_command_specs.py; read by
server/key_specs.py and server/command_table.py).

A key spec is "FLAGS | BEGIN_SEARCH | FIND_KEYS": BEGIN_SEARCH is `index POS`, `keyword WORD
STARTFROM` or `unknown`; FIND_KEYS is `range LASTKEY KEYSTEP LIMIT`, `keynum KEYNUMIDX FIRSTKEY
KEYSTEP` or `unknown`. NOTES holds a spec's note by (command, spec position).
"""

'''


def _pairs(reply) -> dict:
    return dict(zip(reply[::2], reply[1::2]))


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# The fields each kind of begin_search / find_keys spec has, in the data file's order.
_SPEC_FIELDS = {"index": ("index",), "keyword": ("keyword", "startfrom"),
                "range": ("lastkey", "keystep", "limit"),
                "keynum": ("keynumidx", "firstkey", "keystep")}


def _part(section) -> str:
    """`index 1`, `keyword STORE 6`, `range 0 1 0`, `unknown`..."""
    fields = _pairs(section)
    kind, spec = _text(fields[b"type"]), _pairs(fields[b"spec"])
    return " ".join([kind] + [_text(spec[name.encode()]) for name in _SPEC_FIELDS.get(kind, ())])


def describe(key_spec) -> tuple:
    fields = _pairs(key_spec)
    flags = " ".join(_text(f) for f in fields[b"flags"])
    note = _text(fields[b"notes"]) if b"notes" in fields else None
    return (f"{flags} | {_part(fields[b'begin_search'])} | {_part(fields[b'find_keys'])}",
            note)


def collect(entries, key_specs: dict, notes: dict, tips: dict, categories: dict) -> None:
    for entry in entries:
        name = _text(entry[0])
        categories[name] = tuple(_text(c) for c in entry[6])
        if entry[7]:
            tips[name] = tuple(_text(t) for t in entry[7])
        described = [describe(spec) for spec in entry[8]]
        if described:
            key_specs[name] = tuple(text for text, _ in described)
            for position, (_, note) in enumerate(described):
                if note:
                    notes[(name, position)] = note
        collect(entry[9], key_specs, notes, tips, categories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int)
    options = parser.parse_args()
    server = None if options.port else start_redis()
    try:
        reply = RawClient(options.port or server.port).call("COMMAND")
    finally:
        if server is not None:
            server.stop()
    key_specs, notes, tips, categories = {}, {}, {}, {}
    collect(sorted(reply, key=lambda e: e[0]), key_specs, notes, tips, categories)
    with open(OUTPUT, "w", encoding="utf-8") as out:
        out.write(HEADER)
        for title, value in (("KEY_SPECS", key_specs), ("NOTES", notes), ("TIPS", tips),
                             ("ACL_CATEGORIES", categories)):
            out.write(f"{title} = {pprint.pformat(value, width=100, sort_dicts=True)}\n\n")
    print(f"wrote {OUTPUT}: {len(key_specs)} commands with key specs, {len(tips)} with tips")


if __name__ == "__main__":
    main()
