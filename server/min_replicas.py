"""`min-replicas-to-write` and `min-replicas-max-lag`: a primary refuses writes (NOREPLICAS)
while fewer replicas than asked for have acknowledged the stream within the allowed lag.

As in Redis: both parameters must be non-zero for the rule to hold; a replica counts as good
while its last REPLCONF ACK is at most `min-replicas-max-lag` whole seconds old (a replica is
given a fresh ACK time when it attaches); a server that is itself a replica never refuses.
"""

import time


class MinReplicas:
    def __init__(self, server):
        self.server = server

    def configure(self) -> None:
        """Read the two parameters; the dispatcher checks the server attribute it sets
        before anything else, so a server without the rule pays one attribute read."""
        config = self.server.config
        self.server.min_replicas_enforced = bool(config["min-replicas-to-write"]
                                                 and config["min-replicas-max-lag"])

    def good(self) -> int:
        """Replicas whose last acknowledgement is recent enough (INFO min_slaves_good_slaves)."""
        source = self.server.replication
        if source is None:
            return 0
        now = int(time.time())
        max_lag = self.server.config["min-replicas-max-lag"]
        return sum(1 for replica in source.replicas if now - int(replica.last_ack) <= max_lag)

    def allow_writes(self) -> bool:
        server = self.server
        return (not server.min_replicas_enforced or server.master_link is not None
                or self.good() >= server.config["min-replicas-to-write"])
