"""An ordered list of comparable items with O(log n) search and O(sqrt-ish) updates.

Items live in sublists of bounded size with a parallel list of each sublist's maximum, the
layout the sortedcontainers project popularised (written here from the idea, not its code).
Insert and delete touch one sublist; rank and positional access add a sum over sublist lengths,
which stays small because sublists hold up to 2 * LOAD items.
"""

from bisect import bisect_left, bisect_right, insort

LOAD = 512


class SortedList:
    __slots__ = ("_lists", "_maxes", "_len")

    def __init__(self, items=()):
        self._lists: list = []
        self._maxes: list = []
        self._len = 0
        ordered = sorted(items)
        for start in range(0, len(ordered), LOAD):
            chunk = ordered[start:start + LOAD]
            self._lists.append(chunk)
            self._maxes.append(chunk[-1])
        self._len = len(ordered)

    def __len__(self):
        return self._len

    def __iter__(self):
        for sub in self._lists:
            yield from sub

    def __reversed__(self):
        for sub in reversed(self._lists):
            yield from reversed(sub)

    def add(self, item) -> None:
        maxes = self._maxes
        if not maxes:
            self._lists.append([item])
            maxes.append(item)
        else:
            pos = bisect_left(maxes, item)
            if pos == len(maxes):
                pos -= 1
                self._lists[pos].append(item)
                maxes[pos] = item
            else:
                insort(self._lists[pos], item)
            if len(self._lists[pos]) > 2 * LOAD:
                sub = self._lists[pos]
                half = sub[LOAD:]
                del sub[LOAD:]
                self._lists.insert(pos + 1, half)
                maxes[pos] = sub[-1]
                maxes.insert(pos + 1, half[-1])
        self._len += 1

    def append(self, item) -> None:
        """add() of an item known to be above every other (a stream's new ID)."""
        if not self._maxes:
            self.add(item)
            return
        last = self._lists[-1]
        last.append(item)
        self._maxes[-1] = item
        self._len += 1
        if len(last) > 2 * LOAD:
            half = last[LOAD:]
            del last[LOAD:]
            self._lists.append(half)
            self._maxes[-1] = last[-1]
            self._maxes.append(half[-1])

    def remove(self, item) -> None:
        pos = bisect_left(self._maxes, item)
        sub = self._lists[pos]
        index = bisect_left(sub, item)
        if index >= len(sub) or sub[index] != item:
            raise ValueError(item)
        del sub[index]
        self._len -= 1
        if not sub:
            del self._lists[pos]
            del self._maxes[pos]
        elif index == len(sub):
            self._maxes[pos] = sub[-1]

    def _offset(self, pos: int) -> int:
        return sum(len(sub) for sub in self._lists[:pos])

    def bisect_left(self, item) -> int:
        pos = bisect_left(self._maxes, item)
        if pos == len(self._maxes):
            return self._len
        return self._offset(pos) + bisect_left(self._lists[pos], item)

    def bisect_right(self, item) -> int:
        pos = bisect_right(self._maxes, item)
        if pos == len(self._maxes):
            return self._len
        return self._offset(pos) + bisect_right(self._lists[pos], item)

    def index(self, item) -> int:
        """Rank of an item known to be present."""
        return self.bisect_left(item)

    def islice(self, start: int, stop: int, reverse: bool = False) -> list:
        """Items with global positions [start, stop) (in reverse order if asked)."""
        start, stop = max(start, 0), min(stop, self._len)
        out = []
        if start >= stop:
            return out
        seen = 0
        for sub in self._lists:
            end = seen + len(sub)
            if end > start:
                out.extend(sub[max(start - seen, 0):stop - seen])
            if end >= stop:
                break
            seen = end
        if reverse:
            out.reverse()
        return out

    def __getitem__(self, index: int):
        if index < 0:
            index += self._len
        for sub in self._lists:
            if index < len(sub):
                return sub[index]
            index -= len(sub)
        raise IndexError(index)
