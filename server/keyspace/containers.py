"""Hash, set and list values. Each keeps an incremental estimate of its own size (`nbytes`), so
memory accounting stays O(1) per change, and knows its Redis encoding name.

Encodings follow Redis 7.2: a small container is reported as 'listpack' (sets of integers as
'intset') and converts, once and for good, to the large encoding when it grows past the
`*-max-listpack-*` limits, exactly as Redis converts and never converts back.
"""

from collections import deque

from .memory import costs_of, string_size

# The encoding thresholds from the configuration; app.py keeps them current.
LIMITS = {
    "hash-max-listpack-entries": 512, "hash-max-listpack-value": 64,
    "set-max-intset-entries": 512, "set-max-listpack-entries": 128,
    "set-max-listpack-value": 64, "zset-max-listpack-entries": 128,
    "zset-max-listpack-value": 64, "list-max-listpack-size": -2,
}

CONTAINER_BASE = 64  # the container object itself
DICT_ITEM = 48  # a dict slot (entry + index + spare capacity)
SET_ITEM = 28  # a set slot (hash + pointer, at the average fill)
DEQUE_ITEM = 8  # a pointer in a deque block


def _is_int(member: bytes) -> bool:
    if len(member) > 20:
        return False
    try:
        number = int(member)
    except ValueError:
        return False
    return -(2**63) <= number < 2**63 and b"%d" % number == member


class Hash:
    type_name = "hash"
    __slots__ = ("fields", "nbytes", "big")

    def __init__(self):
        self.fields: dict = {}
        self.nbytes = CONTAINER_BASE
        self.big = False

    def __len__(self):
        return len(self.fields)

    def get(self, field):
        return self.fields.get(field)

    def set(self, field: bytes, value: bytes) -> bool:
        """Store a field; True if it is new."""
        fields = self.fields
        old = fields.get(field)
        fields[field] = value
        if old is None:
            self.nbytes += DICT_ITEM + string_size(field) + string_size(value)
        else:
            self.nbytes += string_size(value) - string_size(old)
        if not self.big and (len(fields) > LIMITS["hash-max-listpack-entries"]
                             or len(field) > LIMITS["hash-max-listpack-value"]
                             or len(value) > LIMITS["hash-max-listpack-value"]):
            self.big = True
        return old is None

    def delete(self, field: bytes) -> bool:
        value = self.fields.pop(field, None)
        if value is None:
            return False
        self.nbytes -= DICT_ITEM + string_size(field) + string_size(value)
        return True

    def encoding(self) -> str:
        return "hashtable" if self.big else "listpack"

    def memory_usage(self) -> int:
        return self.nbytes

    def copy(self):
        twin = Hash()
        twin.fields = dict(self.fields)
        twin.nbytes, twin.big = self.nbytes, self.big
        return twin


class Set:
    type_name = "set"
    __slots__ = ("members", "nbytes", "kind")

    def __init__(self):
        self.members: set = set()
        self.nbytes = CONTAINER_BASE
        self.kind = "intset"  # intset -> listpack -> hashtable, never back

    def __len__(self):
        return len(self.members)

    def __contains__(self, member):
        return member in self.members

    def __iter__(self):
        return iter(self.members)

    def add(self, member: bytes) -> bool:
        members = self.members
        if member in members:
            return False
        members.add(member)
        self.nbytes += SET_ITEM + string_size(member)
        self._grow_encoding(member)
        return True

    def update(self, members) -> int:
        return sum(1 for member in members if self.add(member))

    def discard(self, member: bytes) -> bool:
        if member not in self.members:
            return False
        self.members.discard(member)
        self.nbytes -= SET_ITEM + string_size(member)
        return True

    def pop(self) -> bytes:
        member = self.members.pop()
        self.nbytes -= SET_ITEM + string_size(member)
        return member

    def _grow_encoding(self, member: bytes) -> None:
        size = len(self.members)
        if self.kind == "intset":
            if _is_int(member) and size <= LIMITS["set-max-intset-entries"]:
                return
            self.kind = "listpack"
            if size > LIMITS["set-max-listpack-entries"] or any(
                    len(m) > LIMITS["set-max-listpack-value"] for m in self.members):
                self.kind = "hashtable"
        elif self.kind == "listpack" and (size > LIMITS["set-max-listpack-entries"]
                                          or len(member) > LIMITS["set-max-listpack-value"]):
            self.kind = "hashtable"

    def encoding(self) -> str:
        return self.kind

    def memory_usage(self) -> int:
        return self.nbytes

    def copy(self):
        twin = Set()
        twin.members = set(self.members)
        twin.nbytes, twin.kind = self.nbytes, self.kind
        return twin

    @classmethod
    def of(cls, members):
        result = cls()
        result.update(members)
        return result


class List:
    type_name = "list"
    __slots__ = ("items", "nbytes")

    def __init__(self, items=()):
        self.items: deque = deque()
        self.nbytes = CONTAINER_BASE
        for item in items:
            self.push_tail(item)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def push_head(self, item: bytes) -> None:
        self.items.appendleft(item)
        self.nbytes += DEQUE_ITEM + string_size(item)

    def push_tail(self, item: bytes) -> None:
        self.items.append(item)
        self.nbytes += DEQUE_ITEM + string_size(item)

    def push_many(self, items: list, head: bool) -> None:
        """push_head (or push_tail) of each of these `bytes`, in order."""
        if head:
            self.items.extendleft(items)
        else:
            self.items.extend(items)
        self.nbytes += DEQUE_ITEM * len(items) + costs_of(map(len, items))

    def pop_head(self) -> bytes:
        item = self.items.popleft()
        self.nbytes -= DEQUE_ITEM + string_size(item)
        return item

    def pop_tail(self) -> bytes:
        item = self.items.pop()
        self.nbytes -= DEQUE_ITEM + string_size(item)
        return item

    def replace_all(self, items) -> None:
        self.items = deque(items)
        self.nbytes = CONTAINER_BASE + sum(DEQUE_ITEM + string_size(i) for i in self.items)

    def encoding(self) -> str:
        # Redis 7.2 keeps a list in one listpack while it stays under the node size limit
        # (list-max-listpack-size: negative = bytes class, positive = entry count).
        limit = LIMITS["list-max-listpack-size"]
        if limit > 0:
            small = len(self.items) <= limit
        else:
            small = self.nbytes - CONTAINER_BASE <= 4096 * (2 ** (-limit - 1))
        return "listpack" if small else "quicklist"

    def memory_usage(self) -> int:
        return self.nbytes

    def copy(self):
        twin = List()
        twin.items = deque(self.items)
        twin.nbytes = self.nbytes
        return twin


ZSET_ITEM = DICT_ITEM + 24 + 56 + 8  # dict slot, float, (score, member) tuple, list pointer


class ZSet:
    """Sorted set: member -> score, plus the (score, member) pairs in Redis's order."""

    type_name = "zset"
    __slots__ = ("scores", "order", "nbytes", "big")

    def __init__(self):
        from .sortedlist import SortedList

        self.scores: dict = {}
        self.order = SortedList()
        self.nbytes = CONTAINER_BASE
        self.big = False

    def __len__(self):
        return len(self.scores)

    def score(self, member):
        return self.scores.get(member)

    def add(self, member: bytes, score: float) -> bool:
        """Set a member's score; True if the member is new."""
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return False
            self.order.remove((old, member))
        else:
            self.nbytes += ZSET_ITEM + string_size(member)
            if not self.big and (len(self.scores) + 1 > LIMITS["zset-max-listpack-entries"]
                                 or len(member) > LIMITS["zset-max-listpack-value"]):
                self.big = True
        self.scores[member] = score
        self.order.add((score, member))
        return old is None

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        self.nbytes -= ZSET_ITEM + string_size(member)
        return True

    def rank(self, member: bytes):
        score = self.scores.get(member)
        return None if score is None else self.order.index((score, member))

    def encoding(self) -> str:
        return "skiplist" if self.big else "listpack"

    def memory_usage(self) -> int:
        return self.nbytes

    def copy(self):
        twin = ZSet()
        for member, score in self.scores.items():
            twin.add(member, score)
        twin.big = self.big
        return twin
