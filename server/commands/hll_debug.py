"""PFDEBUG and PFSELFTEST: Redis's inspection and self-check commands for HyperLogLogs."""

import random

from .. import hll_sparse
from ..command_table import command
from ..errors import CommandError
from ..replies import OK, SimpleString
from .common import modified
from .hyperloglog import (DENSE_BYTES, M, HllEditor, _get, _set, dense_registers, estimate,
                          new_hll, patterns, validated)

G = "hyperloglog"
_DECODED = {hll_sparse.ZERO: "z:%d", hll_sparse.XZERO: "Z:%d"}


@command("pfdebug", 3, "write denyoom admin", (2, 2, 1), G, "Internal commands for debugging "
         "HyperLogLog values.", "2.8.9")
def pfdebug(client, args):
    db, key = client.db, args[2]
    value = db.lookup(key)
    if value is None:
        raise CommandError("ERR The specified key does not exist")
    editor = HllEditor(validated(value), client.server.config["hll-sparse-max-bytes"])
    sub = bytes(args[1]).lower()
    if sub == b"getreg":
        if editor.to_dense():  # Redis answers from the dense registers, converting first
            _store_dense(client, key, editor)
        return editor.registers().tolist()
    if sub == b"decode":
        if not editor.is_sparse:
            raise CommandError("ERR HLL encoding is not sparse")
        return SimpleString(" ".join(
            (_DECODED[kind] % length) if kind in _DECODED else "v:%d,%d" % (value, length)
            for kind, length, value in editor.sparse.ops))
    if sub == b"encoding":
        return SimpleString("sparse" if editor.is_sparse else "dense")
    if sub == b"todense":
        converted = editor.to_dense()
        if converted:
            _store_dense(client, key, editor)
        return int(converted)
    raise CommandError(f"ERR Unknown PFDEBUG subcommand '{bytes(args[1]).decode(errors='replace')}'")


def _store_dense(client, key, editor) -> None:
    client.db.set(key, editor.value(invalidate=False), keep_ttl=True)
    modified(client, key, notify=False)


@command("pfselftest", 1, "admin", (0, 0, 0), G, "An internal command for testing "
         "HyperLogLog values.", "2.8.9")
def pfselftest(client, args):
    """Redis's self-test: register packing round trips, then the estimate stays within
    five standard errors while an HLL fills from sparse to dense."""
    rng = random.Random()
    for _ in range(5):
        regs = bytearray(DENSE_BYTES + 1)
        values = [rng.randrange(64) for _ in range(M)]
        for i, value in enumerate(values):
            _set(regs, i, value)
        if [_get(regs, i) for i in range(M)] != values or dense_registers(regs).tolist() != values:
            raise CommandError("ERR TESTFAILED Register error at some index")
    editor = HllEditor(new_hll(), client.server.config["hll-sparse-max-bytes"])
    bound = 5 * 1.04 / M ** 0.5
    seed = rng.getrandbits(32)
    checkpoint = 1
    for n, (index, count) in enumerate(patterns(b"%d:%d" % (seed, n)
                                                for n in range(1, 20001)), 1):
        editor.set(index, count)
        if n == checkpoint or n == 20000:
            checkpoint *= 2
            found = estimate(editor.registers())
            if abs(found - n) > max(bound * n, 1):
                raise CommandError(f"ERR TESTFAILED Too big error. card:{n} abserr:"
                                   f"{abs(found - n)}")
    if editor.is_sparse:
        raise CommandError("ERR TESTFAILED the HLL never went dense")
    return OK
