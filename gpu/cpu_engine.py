"""The CPU engine: strings in Python dicts (key -> value, key -> deadline).

A dict of bytes is the fastest store CPython has for this; the server's keyspace keeps the
same layout for every type, and this class is the string engine's form of it, the reference
the GPU engine is tested against. It also serves as the GPU engine's host spill tier.
"""

import sys

from .engine import Engine, is_due, now_ms

# A dict slot (hash, key and value pointers) at a load of about 2/3.
DICT_SLOT_BYTES = 3 * 8 * 3 // 2


class CpuEngine(Engine):
    name = "cpu"

    def __init__(self):
        self.values: dict = {}
        self.deadline_of: dict = {}

    def mget(self, keys, now=None):
        values = list(map(self.values.get, keys))
        if self.deadline_of:
            now = now_ms() if now is None else now
            for index, key in enumerate(keys):
                if values[index] is not None and is_due(self.deadline_of.get(key), now):
                    self._remove(key)
                    values[index] = None
        return values

    def mset(self, keys, values, deadline=None):
        final = dict(zip(keys, values))
        self.values.update(final)
        if deadline is not None:
            self.deadline_of.update(dict.fromkeys(final, deadline))
        elif self.deadline_of:
            for key in self.deadline_of.keys() & final.keys():
                del self.deadline_of[key]

    def delete(self, keys, now=None):
        now = now_ms() if now is None else now
        removed = 0
        for key in set(keys):
            if key in self.values:
                removed += not is_due(self.deadline_of.get(key), now)
                self._remove(key)
        return removed

    def _remove(self, key):
        del self.values[key]
        self.deadline_of.pop(key, None)

    def deadlines(self, keys):
        return list(map(self.deadline_of.get, keys))

    def set_deadline(self, key, deadline):
        if key not in self.values:
            return False
        if deadline is None:
            self.deadline_of.pop(key, None)
        else:
            self.deadline_of[key] = deadline
        return True

    def memory_usage(self, key):
        value = self.values.get(key)
        if value is None:
            return None
        return sys.getsizeof(key) + sys.getsizeof(value) + DICT_SLOT_BYTES

    def items(self):
        deadline_of = self.deadline_of
        for key, value in list(self.values.items()):
            yield key, value, deadline_of.get(key)

    def expire_due(self, now=None):
        now = now_ms() if now is None else now
        due = [key for key, deadline in self.deadline_of.items() if deadline <= now]
        for key in due:
            self._remove(key)
        return len(due)

    def clear(self):
        self.values.clear()
        self.deadline_of.clear()

    def __len__(self):
        return len(self.values)

    def describe(self):
        return {"engine": self.name, "device": "cpu", "device_memory_used": 0,
                "device_memory_free": 0}
