"""LZF, the compression RDB strings use (liblzf's format: literal runs and back references)."""


class LZFError(ValueError):
    pass


def decompress(data: bytes, expected_length: int) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:  # literal run of ctrl + 1 bytes
            run = ctrl + 1
            if i + run > n or len(out) + run > expected_length:
                raise LZFError("truncated literal run, or longer than announced")
            out += data[i:i + run]
            i += run
            continue
        length = ctrl >> 5
        if length == 7:
            if i >= n:
                raise LZFError("truncated back reference")
            length += data[i]
            i += 1
        if i >= n:
            raise LZFError("truncated back reference")
        offset = ((ctrl & 0x1F) << 8) + data[i] + 1
        i += 1
        start = len(out) - offset
        if start < 0 or len(out) + length + 2 > expected_length:
            # (stopped before it grows past the announced length: no decompression bomb)
            raise LZFError("back reference before the start, or longer than announced")
        for k in range(length + 2):  # may overlap the bytes being written
            out.append(out[start + k])
    if len(out) != expected_length:
        raise LZFError("decompressed length mismatch")
    return bytes(out)


def compress(data: bytes):
    """A valid LZF stream (greedy matching on 3-byte hashes), or None if it does not shrink."""
    out = bytearray()
    literals = bytearray()
    table: dict = {}
    i, n = 0, len(data)

    def flush_literals():
        for start in range(0, len(literals), 32):
            chunk = literals[start:start + 32]
            out.append(len(chunk) - 1)
            out.extend(chunk)
        literals.clear()

    while i < n:
        if i + 2 < n:
            key = data[i:i + 3]
            candidate = table.get(key)
            table[key] = i
            if candidate is not None and i - candidate <= 8192:
                length = 3
                limit = min(n - i, 264)
                while length < limit and data[candidate + length] == data[i + length]:
                    length += 1
                flush_literals()
                offset = i - candidate - 1
                code = length - 2
                if code < 7:
                    out.append((code << 5) | (offset >> 8))
                else:
                    out.append((7 << 5) | (offset >> 8))
                    out.append(code - 7)
                out.append(offset & 0xFF)
                i += length
                continue
        literals.append(data[i])
        i += 1
    flush_literals()
    return bytes(out) if len(out) < n else None
