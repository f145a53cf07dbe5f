"""A database's key -> value dict whose plain `bytes` values live in a string engine (the GPU
engine): the dict keeps every key, with the value's length (an `int`, which no stored value
ever is) in place of a value the engine holds; every other value (hashes, lists, ..., and
strings edited in place as `bytearray`) stays in the dict itself. The length lets memory
accounting size a replaced value without a device round trip (memory.value_size).

Everything that reads or writes the database's dict gets real values back, so no command
knows which engine runs. Batch reads and writes (get_many, update) are one engine call each;
single-key access works too but costs a device round trip per key.
"""

_MISSING = object()


class EngineDict(dict):
    __slots__ = ("_engine", "_new_engine")

    def __init__(self, new_engine):
        super().__init__()
        self._new_engine = new_engine  # made on the first string write: databases left unused
        self._engine = None            # cost no device memory

    @property
    def engine(self):
        if self._engine is None:
            self._engine = self._new_engine()
        return self._engine

    @property
    def started_engine(self):
        """The engine, or None while no string was stored."""
        return self._engine

    def prepare_fork(self):
        """Before a fork: what the engine needs in the child (`forked`)."""
        return None if self._engine is None else self._engine.prepare_fork()

    def forked(self, prepared) -> None:
        """In a forked child, which must not touch the GPU: the strings move to the engine the
        child can use (host memory), and an engine made later is a host one too."""
        from gpu.cpu_engine import CpuEngine

        if self._engine is not None:
            self._engine = self._engine.for_child(prepared)
        self._new_engine = CpuEngine

    def fresh(self) -> "EngineDict":
        """An empty dict of the same kind (FLUSHDB), with its own engine."""
        return EngineDict(self._new_engine)

    # -- reads ------------------------------------------------------------------------------
    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        return self.engine.get(key) if type(value) is int else value

    def get(self, key, default=None):
        value = dict.get(self, key, _MISSING)
        if value is _MISSING:
            return default
        return self.engine.get(key) if type(value) is int else value

    def get_many(self, keys) -> list:
        """The value of each key (None if absent), with one engine call for the strings."""
        values = list(map(dict.get, [self] * len(keys), keys))
        on_engine = [index for index, value in enumerate(values) if type(value) is int]
        if on_engine:
            fetched = self.engine.mget([keys[index] for index in on_engine])
            for index, value in zip(on_engine, fetched):
                values[index] = value
        return values

    def values(self):
        return [value for _key, value in self.items()]

    def items(self):
        keys = list(dict.keys(self))
        return list(zip(keys, self.get_many(keys)))

    # -- writes -----------------------------------------------------------------------------
    def __setitem__(self, key, value):
        self.update({key: value})

    def update(self, pairs):
        """Strings go to the engine in one call; other values replace any engine copy."""
        pairs = dict(pairs)
        strings = {key: value for key, value in pairs.items() if type(value) is bytes}
        others = {key: value for key, value in pairs.items() if type(value) is not bytes}
        if strings:
            self.engine.mset(list(strings), list(strings.values()))
            dict.update(self, zip(strings, map(len, strings.values())))
        if others:
            leaving = [key for key in others if type(dict.get(self, key)) is int]
            if leaving:
                self.engine.delete(leaving)
            dict.update(self, others)

    def pop(self, key, default=_MISSING):
        value = dict.pop(self, key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        if type(value) is int:
            value = self.engine.get(key)
            self.engine.delete([key])
        return value

    def pop_stored(self, key):
        """Remove the key; its value as stored (a GPU-held string's length, enough for memory
        accounting), or None: one device call instead of a fetch and a delete."""
        value = dict.pop(self, key, None)
        if type(value) is int:
            self.engine.delete([key])
        return value

    def __delitem__(self, key):
        self.pop(key)

    def clear(self):
        if self._engine is not None:
            self._engine.clear()
        dict.clear(self)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self):
        key = next(reversed(dict.keys(self)))
        return key, self.pop(key)

    def copy(self):
        return dict(self.items())
