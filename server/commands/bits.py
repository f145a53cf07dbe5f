"""Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

Bits are numbered from the most significant bit of the first byte, as in Redis. Counting and
searching work on whole byte ranges with int/bytes operations in C, not per bit in Python.
"""

import re

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.memory import string_size
from .common import get_string, lower, modified, to_int

G = "bitmap"
_TYPE_RE = re.compile(rb"([iu])([0-9]+)\Z", re.IGNORECASE)


def bit_offset(client, value, hash_allowed: bool = False, bits: int = 1) -> int:
    """Redis's getBitOffsetFromArgument: N or (BITFIELD only) #N meaning N * type width."""
    multiply = hash_allowed and value[:1] == b"#"
    if multiply:
        value = value[1:]
    offset = to_int(value, errors.BIT_OFFSET) if value else -1
    if multiply:
        offset *= bits
    if offset < 0 or (offset >> 3) >= client.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.BIT_OFFSET)
    return offset


def _writable_string(client, key, min_bytes: int):
    """(the string at key as a bytearray at least min_bytes long, whether it was created or
    grown: a change even if no bit moves, as Redis counts it)."""
    db = client.db
    value = get_string(db, key, read=False)
    if value is None:
        grown = bytearray(min_bytes)
        db.add(key, grown)
        return grown, True
    old_size = string_size(value)
    grown = value if type(value) is bytearray else bytearray(value)
    extended = len(grown) < min_bytes
    if extended:
        grown += bytes(min_bytes - len(grown))
    db.resized(key, string_size(grown) - old_size)
    db.data[key] = grown
    return grown, extended


@command("setbit", 4, "write denyoom", (1, 1, 1), G, "Sets or clears the bit at offset of the "
         "string value. Creates the key if it doesn't exist.", "2.2.0")
def setbit(client, args):
    offset = bit_offset(client, args[2])
    bit = args[3]
    if bit not in (b"0", b"1"):
        raise CommandError(errors.BIT_VALUE)
    value, created = _writable_string(client, args[1], (offset >> 3) + 1)
    byte, mask = offset >> 3, 0x80 >> (offset & 7)
    old = 1 if value[byte] & mask else 0
    if bit == b"1":
        value[byte] |= mask
    else:
        value[byte] &= ~mask & 0xFF
    if created or old != (bit == b"1"):  # the same bit again changes nothing (dirty, WATCH)
        modified(client, args[1])
    return old


@command("getbit", 3, "readonly fast", (1, 1, 1), G, "Returns a bit value by offset.", "2.2.0")
def getbit(client, args):
    offset = bit_offset(client, args[2])
    value = get_string(client.db, args[1])
    if value is None or (offset >> 3) >= len(value):
        return 0
    return 1 if value[offset >> 3] & (0x80 >> (offset & 7)) else 0


def _bit_range(args, start_index: int, total_bytes: int):
    """Parse [start end [BYTE|BIT]] into an inclusive bit range, or None when it is empty.

    Returns (first_bit, last_bit, end_given)."""
    start = to_int(args[start_index])
    end_given = len(args) > start_index + 1
    end = to_int(args[start_index + 1]) if end_given else None
    unit_bits = False
    if len(args) > start_index + 2:
        unit = lower(args[start_index + 2])
        if unit == b"bit":
            unit_bits = True
        elif unit != b"byte":
            raise CommandError(errors.SYNTAX)
    total = total_bytes * 8 if unit_bits else total_bytes
    if end is None:
        end = total - 1
    if start < 0 and end < 0 and start > end:
        return None, end_given
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    if end >= total:
        end = total - 1
    if start > end:
        return None, end_given
    if unit_bits:
        return (start, end), end_given
    return (start * 8, end * 8 + 7), end_given


def _count_bits(value, first: int, last: int) -> int:
    first_byte, last_byte = first >> 3, last >> 3
    chunk = bytes(value[first_byte : last_byte + 1])
    count = int.from_bytes(chunk, "big").bit_count()
    head_skip = first & 7
    if head_skip:
        count -= (chunk[0] >> (8 - head_skip)).bit_count()
    tail_skip = 7 - (last & 7)
    if tail_skip:
        count -= (chunk[-1] & ((1 << tail_skip) - 1)).bit_count()
    return count


@command("bitcount", -2, "readonly", (1, 1, 1), G, "Counts the number of set bits (population "
         "counting) in a string.", "2.6.0")
def bitcount(client, args):
    # Redis 7.2's order (7.0's; the checks before the key, #11734, came after 7.2): the key
    # (0 when missing, whatever follows), then the range, its unit, the argument count
    value = get_string(client.db, args[1])
    if value is None:
        return 0
    if len(args) in (4, 5):
        to_int(args[2])
        to_int(args[3])
        _check_unit(args, 4)
    elif len(args) != 2:
        raise CommandError(errors.SYNTAX)
    if len(args) == 2:
        return int.from_bytes(bytes(value), "big").bit_count()
    bit_range, _ = _bit_range(args, 2, len(value))
    return 0 if bit_range is None else _count_bits(value, *bit_range)


@command("bitpos", -3, "readonly", (1, 1, 1), G, "Finds the first set (1) or clear (0) bit in a "
         "string.", "2.8.7")
def bitpos(client, args):
    # Redis 7.2's order (see BITCOUNT): the bit, the key (an absent one is all zeros), then
    # the start, the unit, the end, the argument count
    if to_int(args[2]) not in (0, 1):
        raise CommandError("ERR The bit argument must be 1 or 0.")
    target = args[2] == b"1"
    value = get_string(client.db, args[1])
    if value is None:
        return -1 if target else 0
    if len(args) in (4, 5, 6):
        to_int(args[3])
        _check_unit(args, 5)
        if len(args) > 4:
            to_int(args[4])
    elif len(args) != 3:
        raise CommandError(errors.SYNTAX)
    if len(args) == 3:
        bit_range, end_given = ((0, len(value) * 8 - 1) if value else None), False
    else:
        bit_range, end_given = _bit_range(args, 3, len(value))
    if bit_range is None:
        return -1
    first, last = bit_range
    found = _find_bit(value, first, last, target)
    if found is not None:
        return found
    if target or end_given:
        return -1
    return last + 1  # looking for 0 past the end of the string: it's there (zero padding)


def _check_unit(args, index: int) -> None:
    """BIT or BYTE, when the range gives one at `index`."""
    if len(args) > index and lower(args[index]) not in (b"bit", b"byte"):
        raise CommandError(errors.SYNTAX)


def _find_bit(value, first: int, last: int, target: bool):
    first_byte, last_byte = first >> 3, last >> 3
    chunk = bytearray(value[first_byte : last_byte + 1])
    # Bits outside [first, last] in the edge bytes are set to the opposite of the target.
    head = first & 7
    tail = 7 - (last & 7)
    head_mask = (0xFF << (8 - head)) & 0xFF if head else 0
    tail_mask = (1 << tail) - 1
    if target:
        chunk[0] &= ~head_mask & 0xFF
        chunk[-1] &= ~tail_mask & 0xFF
        skip = b"\x00"
    else:
        chunk[0] |= head_mask
        chunk[-1] |= tail_mask
        skip = b"\xff"
    stripped = chunk.lstrip(skip)
    if not stripped:
        return None
    index = len(chunk) - len(stripped)
    byte = stripped[0] if target else (~stripped[0]) & 0xFF
    return (first_byte + index) * 8 + (8 - byte.bit_length())


@command("bitop", -4, "write denyoom", (2, -1, 1), G, "Performs bitwise operations on multiple "
         "strings, and stores the result.", "2.6.0")
def bitop(client, args):
    op = lower(args[1])
    if op not in (b"and", b"or", b"xor", b"not"):
        raise CommandError(errors.SYNTAX)
    sources = args[3:]
    if op == b"not" and len(sources) != 1:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    db = client.db
    values = [bytes(get_string(db, key) or b"") for key in sources]
    size = max(len(v) for v in values)
    dest = args[2]
    if size == 0:
        if db.delete(dest):
            modified(client, dest, event="del")
        return 0
    numbers = [int.from_bytes(v.ljust(size, b"\x00"), "big") for v in values]
    result = numbers[0]
    if op == b"not":
        result = ~result & ((1 << (size * 8)) - 1)
    for number in numbers[1:]:
        if op == b"and":
            result &= number
        elif op == b"or":
            result |= number
        else:
            result ^= number
    db.set(dest, result.to_bytes(size, "big"))
    modified(client, dest)
    return size


# -- BITFIELD -------------------------------------------------------------------------------
class _Field:
    __slots__ = ("op", "signed", "bits", "offset", "value", "overflow")

    def __init__(self, op, signed, bits, offset, value, overflow):
        self.op, self.signed, self.bits = op, signed, bits
        self.offset, self.value, self.overflow = offset, value, overflow


def _parse_type(value):
    match = _TYPE_RE.match(value)
    if match:
        signed = match.group(1).lower() == b"i"
        bits = int(match.group(2))
        if 1 <= bits <= (64 if signed else 63):
            return signed, bits
    raise CommandError("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is "
                       "not supported but i64 is.")


def _parse_bitfield(client, args, read_only: bool) -> list:
    """The operations, parsed whole before BITFIELD_RO refuses a write among them (its
    OVERFLOW alone is fine), as Redis does."""
    ops = []
    overflow = b"wrap"
    i = 2
    while i < len(args):
        word = lower(args[i])
        remaining = len(args) - i - 1
        if word == b"get" and remaining >= 2:
            signed, bits = _parse_type(args[i + 1])
            offset = bit_offset(client, args[i + 2], True, bits)
            ops.append(_Field(b"get", signed, bits, offset, 0, overflow))
            i += 3
        elif word in (b"set", b"incrby") and remaining >= 3:
            signed, bits = _parse_type(args[i + 1])
            offset = bit_offset(client, args[i + 2], True, bits)
            number = to_int(args[i + 3])
            ops.append(_Field(word, signed, bits, offset, number, overflow))
            i += 4
        elif word == b"overflow" and remaining >= 1:
            overflow = lower(args[i + 1])
            if overflow not in (b"wrap", b"sat", b"fail"):
                raise CommandError("ERR Invalid OVERFLOW type specified")
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    if read_only and any(op.op != b"get" for op in ops):
        raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
    return ops


def _read_field(value, offset: int, bits: int, signed: bool) -> int:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(value[first : last + 1]).ljust(last - first + 1, b"\x00")
    raw = int.from_bytes(chunk, "big")
    shift = (last - first + 1) * 8 - (offset & 7) - bits
    number = (raw >> shift) & ((1 << bits) - 1)
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def _write_field(value: bytearray, offset: int, bits: int, number: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = last - first + 1
    raw = int.from_bytes(value[first : last + 1], "big")
    shift = width * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    raw = (raw & ~mask) | ((number << shift) & mask)
    value[first : last + 1] = raw.to_bytes(width, "big")


def _fit(number: int, signed: bool, bits: int, overflow: bytes):
    """Apply WRAP / SAT / FAIL to a result that may not fit the field; None means FAIL."""
    if signed:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        low, high = 0, (1 << bits) - 1
    if low <= number <= high:
        return number
    if overflow == b"fail":
        return None
    if overflow == b"sat":
        return high if number > high else low
    wrapped = number % (1 << bits)
    if signed and wrapped > high:
        wrapped -= 1 << bits
    return wrapped


def _bitfield(client, args, read_only: bool):
    ops = _parse_bitfield(client, args, read_only)
    key = args[1]
    writes = [op for op in ops if op.op != b"get"]
    if not writes:
        value = get_string(client.db, key) or b""
        return [_read_field(value, op.offset, op.bits, op.signed) for op in ops]
    needed = max((op.offset + op.bits - 1) >> 3 for op in writes) + 1
    value, grown = _writable_string(client, key, needed)
    changes = 0  # Redis's count: each write that moved a value, or any once the string grew
    replies = []
    for op in ops:
        old = _read_field(value, op.offset, op.bits, op.signed)
        if op.op == b"get":
            replies.append(old)
            continue
        if op.op == b"set":
            number = op.value
            if not op.signed and number < 0:
                number += 1 << 64  # Redis reads the argument as uint64 for unsigned fields
            new = _fit(number, op.signed, op.bits, op.overflow)
            reply = old
        else:
            new = _fit(old + op.value, op.signed, op.bits, op.overflow)
            reply = new
        if new is None:
            replies.append(None)
            continue
        if new != old:
            _write_field(value, op.offset, op.bits, new)
        changes += grown or new != old
        replies.append(reply)
    if changes:
        modified(client, key, changes=changes)
    return replies


@command("bitfield", -2, "write denyoom", (1, 1, 1), G, "Performs arbitrary bitfield integer "
         "operations on strings.", "3.2.0")
def bitfield(client, args):
    return _bitfield(client, args, read_only=False)


@command("bitfield_ro", -2, "readonly fast", (1, 1, 1), G, "Performs arbitrary read-only "
         "bitfield integer operations on strings.", "6.0.0")
def bitfield_ro(client, args):
    return _bitfield(client, args, read_only=True)
