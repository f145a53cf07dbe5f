"""Redis 7's AOF manifest: the files that make the append-only file, in order.

    file appendonly.aof.1.base.rdb seq 1 type b
    file appendonly.aof.1.incr.aof seq 1 type i

One base (`b`: an RDB snapshot, or an AOF when aof-use-rdb-preamble is off), then the
incremental files (`i`) written since, oldest first. `h` (history, left by Redis while it
deletes old files) is accepted and ignored.
"""

import os
import re
import tempfile

from server.observers import quote_arg
from server.protocol.reader import ProtocolError, split_inline

MANIFEST_SUFFIX = ".manifest"
MAX_LINE = 1024  # Redis's MANIFEST_MAX_LINE


class ManifestError(ValueError):
    pass


def _fail(error: str, number: int, line: str):
    raise ManifestError(f"*** FATAL AOF MANIFEST FILE ERROR *** Reading the manifest file, at "
                        f"line {number}: >>> '{line}' {error}")


def _quoted(name: str) -> str:
    """A file name as Redis writes it in the manifest: quoted (sdscatrepr) when it needs to
    be (sdsneedsrepr: a space, a quote, a backslash, anything unprintable)."""
    if name and all(c.isprintable() and c not in ' "\'\\' for c in name):
        return name
    return quote_arg(name.encode(errors="surrogateescape"))


def _atoll(value: bytes) -> int:
    """C's atoll: the leading integer, 0 if there is none."""
    found = re.match(rb"\s*[-+]?\d+", value)
    return int(found.group()) if found else 0


class Manifest:
    def __init__(self, base=None, incrs=None):
        self.base = base  # (file name, seq) or None
        self.incrs = list(incrs or [])  # [(file name, seq)], oldest first

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        """Read a manifest as Redis's aofLoadManifestFromFile does, with its rules and words:
        '#' lines are skipped; every other line ends in a newline within 1024 bytes and
        holds key-value pairs (at least file, seq and type; the file a plain name); one base
        at most; incremental files in increasing order."""
        if not text:
            raise ManifestError("*** FATAL AOF MANIFEST FILE ERROR *** Found an empty AOF "
                                "manifest")
        manifest = cls()
        highest = 0
        for number, raw in enumerate(text.splitlines(keepends=True), 1):
            if raw.startswith("#"):
                continue
            line = raw.strip(" \t\r\n")
            if not raw.endswith("\n") or len(raw) > MAX_LINE:
                _fail("The AOF manifest file contains too long line", number, line)
            try:
                words = split_inline(line.encode()) if line else []
            except ProtocolError:
                words = []
            if len(words) < 6 or len(words) % 2:
                _fail("Invalid AOF manifest file format", number, line)
            name, seq, kind = None, 0, ""
            for key, value in zip(words[::2], words[1::2]):
                key = key.lower()
                if key == b"file":
                    name = value.decode(errors="surrogateescape")
                    if "/" in name or "\\" in name:
                        _fail("File can't be a path, just a filename", number, line)
                elif key == b"seq":
                    seq = _atoll(value)
                elif key == b"type":
                    kind = value[:1].decode(errors="replace")
            if not name or not seq or not kind:
                _fail("Invalid AOF manifest file format", number, line)
            if kind == "b":
                if manifest.base is not None:
                    _fail("Found duplicate base file information", number, line)
                manifest.base = (name, seq)
            elif kind == "i":
                if seq <= highest:
                    _fail("Found a non-monotonic sequence number", number, line)
                manifest.incrs.append((name, seq))
                highest = seq
            elif kind != "h":  # (history: files Redis is deleting, ignored)
                _fail("Unknown AOF file type", number, line)
        return manifest

    def render(self) -> str:
        lines = []
        if self.base is not None:
            lines.append(f"file {_quoted(self.base[0])} seq {self.base[1]} type b\n")
        lines.extend(f"file {_quoted(name)} seq {seq} type i\n" for name, seq in self.incrs)
        return "".join(lines)

    def files(self) -> list:
        return ([self.base[0]] if self.base else []) + [name for name, _ in self.incrs]


def manifest_path(directory: str, filename: str) -> str:
    return os.path.join(directory, filename + MANIFEST_SUFFIX)


def read_manifest(directory: str, filename: str):
    """The manifest, or None when there is none."""
    path = manifest_path(directory, filename)
    try:
        with open(path) as handle:
            return Manifest.parse(handle.read())
    except FileNotFoundError:
        return None


def write_manifest(directory: str, filename: str, manifest: Manifest) -> None:
    """Replace the manifest atomically (temporary file, fsync, rename, fsync the folder)."""
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="temp-manifest-")
    with os.fdopen(fd, "w") as handle:
        handle.write(manifest.render())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, manifest_path(directory, filename))
    folder = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def base_name(filename: str, seq: int, rdb: bool = True) -> str:
    return f"{filename}.{seq}.base.{'rdb' if rdb else 'aof'}"


def incr_name(filename: str, seq: int) -> str:
    return f"{filename}.{seq}.incr.aof"
