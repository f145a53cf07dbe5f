"""DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's dataset digest (debug.c). Two datasets with
the same keys, values and TTL presence give the same 40 hex digits, whatever the encodings, so
tests compare a server before and after a reload, or a primary with its replica.

The digest is Redis's: per key, the key mixed into a zeroed 20-byte digest, then its type
number and its value (strings and list elements mixed in order; set members, hash
field/value pairs and sorted-set member/score pairs xored in, so their order does not count;
scores written by fpconv_dtoa, as Redis 7.2's DEBUG DIGEST does); "!!expire!!" xored in when
the key has a TTL. Each database's number is mixed into the dataset's digest before its keys,
and each key's digest xored in. To mix is to xor in SHA1(data), then take SHA1 of the result;
to xor in is always to xor in the data's SHA1. Streams are digested from their entries and
groups in order, which Redis does from its listpack bytes instead: equal streams digest
equally, but not to Redis's value.
"""

import hashlib
import struct

from ..protocol.doubles import dtoa
from ..keyspace.serialize import describe

ZERO = bytes(20)
TYPE_NUMBERS = {"string": 0, "list": 1, "set": 2, "zset": 3, "hash": 4, "stream": 6}


def _xor(digest: bytearray, data: bytes) -> None:
    for i, byte in enumerate(hashlib.sha1(data).digest()):
        digest[i] ^= byte


def _mix(digest: bytearray, data: bytes) -> None:
    _xor(digest, data)
    digest[:] = hashlib.sha1(digest).digest()


def _pair(first: bytes, second: bytes) -> bytes:
    element = bytearray(ZERO)
    _mix(element, first)
    _mix(element, second)
    return bytes(element)


def value_digest(digest: bytearray, value, has_expire: bool) -> bytearray:
    """Redis's xorObjectDigest: the value mixed into `digest` (returned)."""
    kind, contents = describe(value)
    _mix(digest, struct.pack(">I", TYPE_NUMBERS[kind]))
    if kind == "string":
        _mix(digest, contents)
    elif kind == "list":
        for element in contents:
            _mix(digest, bytes(element))
    elif kind == "set":
        for member in contents:
            _xor(digest, bytes(member))
    elif kind == "hash":
        for field, field_value in contents:
            _xor(digest, _pair(bytes(field), bytes(field_value)))
    elif kind == "zset":
        for member, score in contents:
            _xor(digest, _pair(bytes(member), dtoa(score)))
    else:
        _stream(digest, contents)
    if has_expire:
        _xor(digest, b"!!expire!!")
    return digest


def _stream(digest: bytearray, stream: dict) -> None:
    for (ms, seq), fields in stream["entries"]:
        _mix(digest, struct.pack(">QQ", ms, seq))
        for part in fields:
            _mix(digest, bytes(part))
    for group in stream["groups"]:
        _mix(digest, bytes(group["name"]))
        _mix(digest, struct.pack(">QQ", *group["last_id"]))


def dataset_digest(keyspace) -> str:
    """Redis's computeDatasetDigest, as 40 hex digits (all zeros for an empty dataset)."""
    final = bytearray(ZERO)
    for db in keyspace.dbs:
        if not db.data:
            continue
        _mix(final, struct.pack(">I", db.index))
        for key, value in list(db.data.items()):  # (as stored: nothing expires here)
            digest = bytearray(ZERO)
            _mix(digest, bytes(key))
            value_digest(digest, value, key in db.expires)
            _xor(final, bytes(digest))  # (xorDigest: its SHA1, as for any data)
    return final.hex()


def key_digests(db, keys) -> list:
    """DEBUG DIGEST-VALUE: each key's value digest (zeros for a missing key)."""
    out = []
    for key in keys:
        value = db.lookup(key, False)
        digest = bytearray(ZERO)
        if value is not None:
            value_digest(digest, value, db.get_expire(key) is not None)
        out.append(digest.hex())
    return out
