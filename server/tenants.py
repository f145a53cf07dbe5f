"""Tenants (`predis-tenants`): key prefixes with their own memory accounting, an optional memory
quota and per-tenant metrics.

A tenant is the keys under a prefix, which is what an ACL user restricted to `~prefix*` may
touch (docs/security.md). `predis-tenants "app1: 64mb app2: 0"` declares two tenants, the first
with a quota (0: none, accounting and metrics only). Each database charges the tenant owning a
key (the longest declared prefix it starts with) for every byte its estimate of that key moves,
in the same places it updates its own `memory`. A command that may grow memory (Redis's
`denyoom` flag) on a key of a tenant over its quota is refused with an OOM error naming the
tenant, as Redis refuses one over maxmemory; deleting, expiring and reading go on. With
`predis-tenant-quota-policy evict` the tenant's own keys are evicted first (only its keys:
each access-table record carries its tenant's number), ranked by the tenant's own model when
PREDIS.MODEL ASSIGN gave it one; that model also ranks the tenant's keys when maxmemory makes
the learned policy evict (server/eviction.py, Evictor._pick_by_tenant). With quotas whose sum fits in maxmemory, no tenant can make
the server evict another tenant's keys.
"""

from dataclasses import dataclass, field

from ml.eviction import MAX_TENANTS

from .key_specs import keys_from_command


class TenantSpecError(ValueError):
    pass


@dataclass
class Tenant:
    prefix: bytes
    quota: int  # bytes; 0: no quota
    used: int = 0  # estimated bytes of the tenant's keys (as the databases count theirs)
    keys: int = 0
    rejected: int = 0  # commands refused for the quota
    number: int = 0  # 1-15: what its keys' access-table records carry
    evicted: int = 0  # keys evicted to keep the tenant within its quota
    model_version: int = None  # PREDIS.MODEL ASSIGN: the version its own evictions rank by
    weights: tuple = field(default=None, repr=False)  # that model's arrays

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
    if len(words) // 2 > MAX_TENANTS:
        raise TenantSpecError(f"predis-tenants declares at most {MAX_TENANTS} tenants")
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
    def __init__(self, pairs: list, previous: "Tenants" = None):
        """`previous`: the tenants declared before, whose model assignments carry over."""
        numbered = [Tenant(prefix.encode(), quota, number=number)
                    for number, (prefix, quota) in enumerate(pairs, 1)]
        # longest prefix first: the owner of a key is the most specific tenant
        self.tenants = sorted(numbered, key=lambda t: -len(t.prefix))
        self.has_quotas = any(t.quota for t in self.tenants)  # else accounting only
        if previous is not None:
            for tenant in self.tenants:
                before = previous.by_prefix(tenant.prefix)
                if before is not None:
                    tenant.model_version, tenant.weights = before.model_version, before.weights

    @property
    def models_assigned(self) -> bool:
        return any(t.weights is not None for t in self.tenants)

    def by_prefix(self, prefix: bytes):
        return next((t for t in self.tenants if t.prefix == prefix), None)

    def owner(self, key: bytes):
        for tenant in self.tenants:
            if key.startswith(tenant.prefix):
                return tenant
        return None

    def number_of(self, key: bytes) -> int:
        tenant = self.owner(key)
        return 0 if tenant is None else tenant.number

    def charge(self, key: bytes, nbytes: int, nkeys: int = 0) -> None:
        for tenant in self.tenants:
            if key.startswith(tenant.prefix):
                tenant.used += nbytes
                tenant.keys += nkeys
                return

    def refusal(self, spec, args, make_room=None):
        """The OOM error for a command that may grow memory on a key of a tenant over its
        quota, else None. `make_room(tenant)` (the evict policy) first tries to bring the
        tenant back under its quota by evicting its own keys."""
        for position in keys_from_command(spec, args):
            tenant = self.owner(bytes(args[position]))
            if tenant is not None and tenant.over_quota and (
                    make_room is None or not make_room(tenant)):
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
        return {f"tenant{t.number - 1}": f"prefix={t.name},used_memory={t.used},keys={t.keys},"
                f"quota={t.quota},rejected_commands={t.rejected},evicted_keys={t.evicted},"
                f"model={'' if t.model_version is None else t.model_version}"
                for t in sorted(self.tenants, key=lambda t: t.number)}
