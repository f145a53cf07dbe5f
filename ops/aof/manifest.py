"""Redis 7's AOF manifest: the files that make the append-only file, in order.

    file appendonly.aof.1.base.rdb seq 1 type b
    file appendonly.aof.1.incr.aof seq 1 type i

One base (`b`: an RDB snapshot, or an AOF when aof-use-rdb-preamble is off), then the
incremental files (`i`) written since, oldest first. `h` (history, left by Redis while it
deletes old files) is accepted and ignored.
"""

import os
import tempfile

MANIFEST_SUFFIX = ".manifest"


class ManifestError(ValueError):
    pass


class Manifest:
    def __init__(self, base=None, incrs=None):
        self.base = base  # (file name, seq) or None
        self.incrs = list(incrs or [])  # [(file name, seq)], oldest first

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        manifest = cls()
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if len(words) % 2 or words[0] != "file":
                raise ManifestError(f"invalid AOF manifest line {number}: {line!r}")
            fields = dict(zip(words[::2], words[1::2]))
            try:
                entry = (fields["file"], int(fields["seq"]))
                kind = fields["type"]
            except (KeyError, ValueError):
                raise ManifestError(f"invalid AOF manifest line {number}: {line!r}") from None
            if kind == "b":
                if manifest.base is not None:
                    raise ManifestError("the AOF manifest names two base files")
                manifest.base = entry
            elif kind == "i":
                manifest.incrs.append(entry)
            elif kind != "h":
                raise ManifestError(f"unknown AOF file type {kind!r} on line {number}")
        return manifest

    def render(self) -> str:
        lines = []
        if self.base is not None:
            lines.append(f"file {self.base[0]} seq {self.base[1]} type b\n")
        lines.extend(f"file {name} seq {seq} type i\n" for name, seq in self.incrs)
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
