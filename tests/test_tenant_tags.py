"""Access-table records carry their key's tenant (server/tenants.py), and the eviction kernels'
tenant restriction picks only that tenant's records."""

import numpy as np

from ml.eviction import LRU, pick_victims, restriction, sample
from ml.keymeta import HOOK_NONE, MODE_LRU
from ml.model import DEFAULT_PATH, EvictionModel
from server.keyspace.keytable import KeyTable
from server.tenants import Tenants

TENANTS = Tenants([("a:", 0), ("b:", 0)])


def table_with(keys: list) -> KeyTable:
    table = KeyTable(HOOK_NONE)
    table.log.extend(keys)
    data = {key: b"v" for key in keys}
    table.fold(data, {}, 1000, MODE_LRU, 10, 1, tenant_of=TENANTS.number_of)
    return table


def test_new_records_are_tagged_and_sampling_keeps_to_one_tenant():
    keys = [f"{prefix}{i}".encode() for prefix in ("a:", "b:", "c:") for i in range(50)]
    table = table_with(keys)
    out = np.empty(40, np.int64)
    for number, prefix in ((1, b"a:"), (2, b"b:")):
        found = sample(table.slots, restriction(False, tenant=number), 40, out)
        assert found == 40
        assert all(table.keys[slot].startswith(prefix) for slot in out[:found])
    victims = np.empty(10, np.int64)
    found = pick_victims(table.slots, table.hist, table.state, LRU,
                         restriction(False, tenant=2), 5, 10, 1000, 1,
                         *EvictionModel.load(DEFAULT_PATH).arrays(), victims)
    assert found == 10 and all(table.keys[s].startswith(b"b:") for s in victims[:found])


def test_retagging_follows_a_new_declaration_and_untagged_keys_are_nobodys():
    table = table_with([b"a:1", b"b:1", b"other"])
    swapped = Tenants([("b:", 0), ("a:", 0)])  # the numbers follow the declaration order
    table.tag_tenants(swapped.number_of)
    tags = {table.keys[s]: int(table.slots["flags"][s]) >> 3
            for s in np.flatnonzero(np.not_equal(table.keys, None))}
    assert tags == {b"a:1": 2, b"b:1": 1, b"other": 0}
    out = np.empty(5, np.int64)
    assert sample(table.slots, restriction(False, tenant=3), 5, out) == 0


def test_the_tenant_restriction_leaves_the_other_bits_alone():
    value = restriction(True, 1, 1 << 12, tenant=5)
    assert value & 0xFF == 1 | 2 | 4 | 8 and (value >> 8) & 0xFFFFFF == 1 << 12
    assert value >> 32 == 5
