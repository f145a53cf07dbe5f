"""Differential tests: SORT and SORT_RO."""

import pytest


@pytest.fixture
def data(diff23):
    d = diff23
    d.assert_same("RPUSH", "nums", "3", "1", "10", "2", "2.5", "-1")
    d.assert_same("RPUSH", "words", "pear", "apple", "fig", "banana")
    d.assert_same("SADD", "set", "5", "3", "9")
    d.assert_same("ZADD", "z", "1", "c", "2", "a", "3", "b")
    d.assert_same("MSET", "w_3", "30", "w_1", "10", "w_10", "5", "w_2", "20", "o_1", "one", "o_2", "two")
    d.assert_same("HSET", "h_1", "f", "100", "name", "alice")
    d.assert_same("HSET", "h_3", "f", "50", "name", "carol")
    return d


@pytest.mark.parametrize("args", [
    ["nums"], ["nums", "DESC"], ["nums", "LIMIT", "1", "3"], ["nums", "LIMIT", "-5", "2"],
    ["nums", "LIMIT", "2", "-1"], ["words"], ["words", "ALPHA"], ["words", "ALPHA", "DESC"],
    ["set"], ["z"], ["z", "ALPHA"], ["z", "BY", "nosort"], ["z", "BY", "nosort", "DESC"],
    ["nums", "BY", "w_*"], ["nums", "BY", "w_*", "GET", "o_*", "GET", "#"],
    ["nums", "BY", "h_*->f", "GET", "h_*->name"], ["nums", "BY", "nosort", "GET", "#"],
    ["words", "BY", "missing_*", "ALPHA"], ["missing"], ["nums", "FOO"], ["nums", "LIMIT", "1"],
    ["o_1"], ["nums", "GET", "h_*->"], ["set", "BY", "nosort"],
])
def test_sort(data, args):
    data.assert_same("SORT", *args)
    data.assert_same("SORT_RO", *args)


def test_sort_store(data):
    data.assert_same("SORT", "nums", "STORE", "dst")
    data.assert_same("LRANGE", "dst", "0", "-1")
    data.assert_same("SORT", "nums", "BY", "w_*", "GET", "o_*", "STORE", "dst")
    data.assert_same("LRANGE", "dst", "0", "-1")
    data.assert_same("SORT", "missing", "STORE", "dst")
    data.assert_same("EXISTS", "dst")
    data.assert_same("SORT_RO", "nums", "STORE", "dst")


def test_a_set_sorted_by_a_constant_and_stored_is_sorted_alpha(diff):
    """Found by Redis's own suite: the stored result must not depend on the set's order."""
    diff.assert_same("SADD", "myset", *"a b c d e f g h i l m n o p q r s t u v z aa aaa azz".split())
    diff.assert_same("SORT", "myset", "ALPHA", "BY", "_", "STORE", "mylist")
    diff.assert_same("LRANGE", "mylist", "0", "-1")
    diff.assert_same("SORT", "myset", "BY", "nosort", "STORE", "mylist2")
    diff.assert_same("LRANGE", "mylist2", "0", "-1")


@pytest.mark.parametrize("elements", [
    ["", "", ""], ["3", "", "1"], [" 2", "1"], ["1 ", "2"], ["  ", "1"], ["0x10", "3"],
    ["1e400", "1"], ["nan", "1"], ["inf", "-inf", "0"],
])
def test_numeric_sort_reads_elements_as_strtod(diff, elements):
    """An empty string is 0 and leading spaces are skipped (strtod); anything after the
    number, or none at all, is refused."""
    diff.assert_same("RPUSH", "l", *elements)
    diff.assert_same("SORT", "l")
    diff.assert_same("SORT", "l", "STORE", "dest")
    diff.assert_same("LRANGE", "dest", "0", "-1")
