"""Tenants (`predis-tenants`): key prefixes with their own memory accounting, an optional memory
quota and per-tenant metrics.

A tenant is the keys under a prefix, which is what an ACL user restricted to `~prefix*` may
touch (docs/security.md). `predis-tenants "app1: 64mb app2: 0"` declares two tenants, the first
with a quota (0: none, accounting and metrics only). Each database charges the tenant owning a
key (the longest declared prefix it starts with) for every byte its estimate of that key moves,
in the same places it updates its own `memory`. A command that may grow memory (Redis's
`denyoom` flag) on a key of a tenant over its quota is refused with an OOM error naming the
tenant, as Redis refuses one over maxmemory; deleting, expiring and reading go on. With quotas
whose sum fits in maxmemory, no tenant can make the server evict another tenant's keys.
"""

from dataclasses import dataclass


class TenantSpecError(ValueError):
    pass


@dataclass
class Tenant:
    prefix: bytes
    quota: int  # bytes; 0: no quota
    used: int = 0  # estimated bytes of the tenant's keys (as the databases count theirs)
    keys: int = 0
    rejected: int = 0  # commands refused for the quota

    @property
    def name(self) -> str:
        return self.prefix.decode("utf-8", "replace")

    @property
    def over_quota(self) -> bool:
        return bool(self.quota) and self.used > self.quota


def parse(text: str, parse_memory) -> list:
    """(prefix, quota bytes) pairs from `prefix quota [prefix quota ...]`."""
    words = text.split()
    if len(words) % 2:
        raise TenantSpecError("predis-tenants needs pairs of a key prefix and a quota")
    pairs = []
    for prefix, quota_text in zip(words[::2], words[1::2]):
        quota = parse_memory(quota_text)
        if quota is None or quota < 0:
            raise TenantSpecError(f"invalid quota '{quota_text}' for tenant '{prefix}'")
        if any(prefix == seen for seen, _ in pairs):
            raise TenantSpecError(f"tenant '{prefix}' is declared twice")
        pairs.append((prefix, quota))
    return pairs


class Tenants:
    def __init__(self, pairs: list):
        # longest prefix first: the owner of a key is the most specific tenant
        self.tenants = sorted((Tenant(prefix.encode(), quota) for prefix, quota in pairs),
                              key=lambda t: -len(t.prefix))

    def owner(self, key: bytes):
        for tenant in self.tenants:
            if key.startswith(tenant.prefix):
                return tenant
        return None

    def charge(self, key: bytes, nbytes: int, nkeys: int = 0) -> None:
        for tenant in self.tenants:
            if key.startswith(tenant.prefix):
                tenant.used += nbytes
                tenant.keys += nkeys
                return

    def refusal(self, spec, args):
        """The OOM error for a command that may grow memory on a key of a tenant over its
        quota, else None."""
        for position in spec.key_positions(args):
            tenant = self.owner(bytes(args[position]))
            if tenant is not None and tenant.over_quota:
                tenant.rejected += 1
                return (f"OOM command not allowed when tenant '{tenant.name}' uses more than its "
                        f"quota ({tenant.used} > {tenant.quota} bytes, predis-tenants).")
        return None

    def recount(self, dbs) -> None:
        """Charge every key from scratch (when the tenants are declared or changed)."""
        for tenant in self.tenants:
            tenant.used = tenant.keys = 0
        for db in dbs:
            for key, value in dict.items(db.data):  # as stored (see Database.set)
                self.charge(key, db.entry_cost(key, value), 1)

    def info(self) -> dict:
        """INFO `tenants`: one line per tenant, as Redis writes INFO keyspace (numbered: a
        prefix may hold the ':' INFO separates names from values with)."""
        return {f"tenant{i}": f"prefix={t.name},used_memory={t.used},keys={t.keys},"
                f"quota={t.quota},rejected_commands={t.rejected}"
                for i, t in enumerate(sorted(self.tenants, key=lambda t: t.prefix))}
