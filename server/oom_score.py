"""`oom-score-adj` as Redis applies it (setOOMScoreAdj): the Linux OOM killer's score of this
process, from `oom-score-adj-values` (primary, replica, background child), either relative to
the score the process had before Predis first changed it (`yes`, `relative`) or as given
(`absolute`); `no` restores that original score. Applied at start, on CONFIG SET of either
parameter (a failure to write is refused and rolled back), when the server becomes a replica
or a primary, and in each forked child (BGSAVE, AOF rewrite).
"""

from ops.config import ConfigError

PRIMARY, REPLICA, BACKGROUND_CHILD = range(3)
PROC_FILE = "/proc/self/oom_score_adj"
FAILED = "Failed to set current oom_score_adj. Check server logs."


class OomScore:
    def __init__(self, server, path: str = PROC_FILE):
        self.server = server
        self.path = path
        self.base = None  # the score before Predis changed it (None: not changed)

    def on_config_change(self, _value) -> None:
        """CONFIG SET of oom-score-adj or oom-score-adj-values (refused, and so rolled back,
        when the score cannot be written)."""
        if not self.apply():
            raise ConfigError(FAILED)

    def apply(self, process_class=None) -> bool:
        """Write the score for `process_class` (default: primary or replica, as the server
        is now); False, with a log line, when /proc could not be read or written."""
        config = self.server.config
        mode = config["oom-score-adj"]
        if mode == "no":
            if self.base is None:
                return True
            value, self.base = self.base, None
        else:
            if self.base is None:
                try:
                    with open(self.path) as handle:
                        self.base = int(handle.read().split()[0])
                except (OSError, ValueError, IndexError) as exc:
                    self.server.log.warning("oom_score_adj_unreadable", error=str(exc))
                    return False
            if process_class is None:
                process_class = REPLICA if self.server.master_link is not None else PRIMARY
            value = config["oom-score-adj-values"][process_class]
            if mode != "absolute":
                value += self.base
            value = max(-1000, min(1000, value))
        try:
            with open(self.path, "w") as handle:
                handle.write(f"{value}\n")
        except OSError as exc:
            self.server.log.warning("oom_score_adj_unwritable", error=str(exc))
            return False
        return True
