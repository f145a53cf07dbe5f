"""How SPOP reaches the AOF and replicas (server/effects.py), as Redis 7.2's t_set.c logs it:
SREM of the popped members in commands of 1,024 at most; a count that took the whole set as
the set's deletion, DEL or UNLINK by lazyfree-lazy-server-del. (The reference redis-server
here is 7.0, which logs one SREM per member and always DEL: compat_tests cover the DEL.)"""

import server.app  # noqa: F401  (server.effects is part of a cycle the app imports whole)
from server.effects import effects


class Db:
    def __init__(self, *keys):
        self.data = dict.fromkeys(keys, object())


def test_a_count_that_empties_the_set_is_logged_as_its_deletion():
    members = {b"a", b"b"}
    args = [b"SPOP", b"s", b"5"]
    assert effects("spop", args, members, Db(), {"lazyfree-lazy-server-del": False}) == \
        [[b"DEL", b"s"]]
    assert effects("spop", args, members, Db(), {"lazyfree-lazy-server-del": True}) == \
        [[b"UNLINK", b"s"]]


def test_popped_members_go_as_srem_1024_at_a_time():
    popped = [b"%d" % i for i in range(2500)]
    logged = effects("spop", [b"SPOP", b"s", b"2500"], popped, Db(b"s"))
    assert [len(command) - 2 for command in logged] == [1024, 1024, 452]
    assert all(command[:2] == [b"SREM", b"s"] for command in logged)
    assert [member for command in logged for member in command[2:]] == popped


def test_a_plain_spop_is_an_srem_even_when_it_empties_the_set():
    assert effects("spop", [b"SPOP", b"s"], b"a", Db()) == [[b"SREM", b"s", b"a"]]
    assert effects("spop", [b"SPOP", b"s"], None, Db()) == []
