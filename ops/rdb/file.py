"""RDB snapshot files: write (version 11, or 10 for older readers) and read (versions 1-11).

Layout: 'REDIS' + 4-digit version, AUX fields, function libraries, then per database a
SELECTDB and RESIZEDB opcode and its keys (an optional EXPIRETIME_MS, the type byte, the key, the
value encoding), and EOF with a CRC-64 of everything before it.
"""

import struct

from .codec import RDBError, Reader, encode_length, encode_string
from .crc64 import crc64
from .objects import EmptyKey, read_object, write_object

OP_FUNCTION2, OP_FUNCTION_OLD, OP_MODULE_AUX = 245, 246, 247
OP_IDLE, OP_FREQ, OP_AUX, OP_RESIZEDB = 248, 249, 250, 251
OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = 252, 253, 254, 255
MODULE_TYPES = (6, 7)


class RDBWriter:
    """Streams an RDB file to a binary file object, keeping the running checksum."""

    def __init__(self, handle, version: int = 11, compression: bool = True,
                 checksum: bool = True):
        self.handle = handle
        self.version = version
        self.compression = compression
        self.checksum = checksum
        self.crc = 0
        self._buffer = bytearray()
        self._write(b"REDIS%04d" % version)

    def _write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        """Checksum and write what is buffered (large chunks keep the CRC loop compiled-fast)."""
        chunk = bytes(self._buffer)
        self._buffer.clear()
        if self.checksum:
            self.crc = crc64(chunk, self.crc)
        self.handle.write(chunk)

    def aux(self, name: bytes, value: bytes) -> None:
        self._write(bytes([OP_AUX]) + encode_string(name, False) + encode_string(value, False))

    def function(self, code: bytes) -> None:
        self._write(bytes([OP_FUNCTION2]) + encode_string(code, self.compression))

    def select(self, index: int, keys: int, expires: int) -> None:
        self._write(bytes([OP_SELECTDB]) + encode_length(index) + bytes([OP_RESIZEDB])
                    + encode_length(keys) + encode_length(expires))

    def key(self, key: bytes, kind: str, contents, expire_ms=None) -> None:
        record = write_object(kind, contents, self.compression, self.version)
        head = b"" if expire_ms is None else bytes([OP_EXPIRETIME_MS]) + struct.pack("<q",
                                                                                    expire_ms)
        self._write(head + record[:1] + encode_string(key, self.compression) + record[1:])

    def finish(self) -> None:
        self._write(bytes([OP_EOF]))
        self._flush()
        self.handle.write(struct.pack("<Q", self.crc if self.checksum else 0))


MODULE_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MODULE_FIELD_EOF, MODULE_SINT, MODULE_UINT, MODULE_FLOAT, MODULE_DOUBLE, MODULE_STRING = range(6)
TYPE_MODULE_2 = 7


def module_name(module_id: int) -> str:
    """A module type's 9-character name, from the 64-bit id Redis stores (54 bits of name, 10
    of encoding version)."""
    bits = module_id >> 10
    chars = []
    for _ in range(9):
        chars.append(MODULE_NAME_CHARS[bits & 63])
        bits >>= 6
    return "".join(reversed(chars))


def _skip_module_fields(reader) -> None:
    """Step over a module value in the self-describing format (RDB_TYPE_MODULE_2, module aux):
    opcode-tagged fields until the EOF opcode."""
    while True:
        opcode = reader.length()[0]
        if opcode == MODULE_FIELD_EOF:
            return
        if opcode in (MODULE_SINT, MODULE_UINT):
            reader.length()
        elif opcode == MODULE_FLOAT:
            reader.take(4)
        elif opcode == MODULE_DOUBLE:
            reader.take(8)
        elif opcode == MODULE_STRING:
            reader.string()
        else:
            raise RDBError(f"bad module value field opcode {opcode}")


def _module_data(reader, opcode: int, db: int, skip_modules: bool):
    """('module', db, key or None, module name) for a module value or module aux field, which
    Predis cannot hold; RDBError unless skipping was asked for (or the format is too old to
    skip)."""
    key = reader.string() if opcode != OP_MODULE_AUX else None
    module = module_name(reader.length()[0])
    if not skip_modules or opcode == 6:  # RDB_TYPE_MODULE (pre-4.0): not self-describing
        where = f"key {key!r}" if key is not None else "aux data"
        raise RDBError(f"the file holds data of the module '{module}' ({where}), which Predis "
                       "cannot load" + ("" if opcode == 6 else
                                        "; start with --rdb-skip-module-data yes to skip it"))
    if opcode == OP_MODULE_AUX:
        reader.length()  # when-opcode (UINT)
        reader.length()  # when
    _skip_module_fields(reader)
    return ("module", db, key, module)


def read_rdb(data: bytes, max_version: int = 11, skip_modules: bool = False, progress=None,
             on_end=None, verify_checksum: bool = True):
    """Yield ('aux', name, value), ('function', code), ('key', db, key, kind, contents,
    expire_ms), ('empty', db, key) for a value without elements (Redis skips those) and,
    with skip_modules, ('module', db, key, module name) for each module value
    stepped over, in file order; RDBError if it is damaged, whatever the damage (a fuzzer
    found encodings whose parsers failed in other ways on cut or flipped bytes).
    `progress(bytes read)`, when given, is called once each key was taken; `on_end(offset)`
    with where the RDB ended (an AOF's RDB preamble is followed by commands).
    verify_checksum=False: the trailing CRC is not compared (rdbchecksum no, or DEBUG
    SET-SKIP-CHECKSUM-VALIDATION 1)."""
    try:
        yield from _read_items(data, max_version, skip_modules, progress, on_end,
                               verify_checksum)
    except RDBError:
        raise
    except (IndexError, KeyError, ValueError, struct.error, RuntimeError, OverflowError,
            UnicodeDecodeError) as exc:
        raise RDBError(f"the RDB data is damaged ({type(exc).__name__}: {exc})") from None


def _read_items(data: bytes, max_version: int, skip_modules: bool, progress, on_end,
                verify_checksum: bool):
    if data[:5] != b"REDIS" or not data[5:9].isdigit():
        raise RDBError("Wrong signature trying to load DB from file")
    version = int(data[5:9])
    if not 1 <= version <= max_version:
        raise RDBError(f"Can't handle RDB format version {version}")
    reader = Reader(data)
    reader.pos = 9
    db = 0
    expire_ms = None
    while True:
        opcode = reader.byte()
        if opcode == OP_EOF:
            if version >= 5:
                stored = struct.unpack("<Q", reader.take(8))[0]
                computed = crc64(data[:reader.pos - 8]) if stored and verify_checksum \
                    else stored
                if computed != stored:  # (Redis's two log lines, in one message)
                    raise RDBError(f"Wrong RDB checksum expected: ({stored:x}) got "
                                   f"({computed:x}). Aborting now. RDB CRC error")
            if on_end is not None:
                on_end(reader.pos)
            return
        if opcode == OP_AUX:
            yield ("aux", reader.string(), reader.string())
        elif opcode == OP_SELECTDB:
            db = reader.length()[0]
        elif opcode == OP_RESIZEDB:
            reader.length()
            reader.length()
        elif opcode == OP_EXPIRETIME_MS:
            expire_ms = struct.unpack("<q", reader.take(8))[0]
        elif opcode == OP_EXPIRETIME:
            expire_ms = struct.unpack("<i", reader.take(4))[0] * 1000
        elif opcode == OP_IDLE:
            reader.length()
        elif opcode == OP_FREQ:
            reader.byte()
        elif opcode == OP_FUNCTION2:
            yield ("function", reader.string())
        elif opcode == OP_FUNCTION_OLD:
            raise RDBError("the file holds a function in Redis 7.0-rc1's format, which Predis "
                           "cannot load")
        elif opcode == OP_MODULE_AUX or opcode in MODULE_TYPES:
            yield _module_data(reader, opcode, db, skip_modules)
            expire_ms = None
        else:
            key = reader.string()
            try:
                kind, contents = read_object(opcode, reader)
            except EmptyKey:
                yield ("empty", db, key)
            else:
                yield ("key", db, key, kind, contents, expire_ms)
            expire_ms = None
            if progress is not None:
                progress(reader.pos)
