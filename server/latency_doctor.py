"""LATENCY DOCTOR's report, as Redis's createLatencyReport writes it: each event's spikes
(average, mean deviation, period, worst), then the advice the events (and the process's
transparent huge pages) call for, in Redis's words and order."""

import time

DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable "
    "it. If we weren't in a deep space mission I'd suggest to take a look at "
    "https://redis.io/topics/latency-monitor.\n")
NO_SPIKES = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
    "the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and "
    "think things over.\n")
NO_ADVICE = (
    "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use "
    "the Redis community to get some help, providing this report in your help request.\n")

# event -> the advice it calls for (how many Redis counts is the length of each tuple)
EVENT_ADVICE = {
    "fast-command": ("scheduler",),
    "aof-write-pending-fsync": ("local_disk", "disk_contention", "ssd", "data_writeback"),
    "aof-write-active-child": ("no_appendfsync", "data_writeback", "ssd"),
    "aof-write-alone": ("local_disk", "data_writeback", "ssd"),
    "aof-fsync-always": ("relax_fsync_policy",),
    "aof-fstat": ("disk_contention", "local_disk"),
    "rdb-unlink-temp-file": ("disk_contention", "local_disk"),
    "aof-rewrite-diff-write": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    "aof-rename": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    "expire-cycle": ("hz", "large_objects"),
    "eviction-del": ("large_objects",),
    "eviction-cycle": ("mass_eviction",),
}

_SCHEDULER = (
    "- The system is slow to execute Redis code paths not containing system calls. This usually "
    "means the system does not provide Redis CPU time to run for long periods. You should try "
    "to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running "
    "other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n"
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your "
    "system.\n  5) Check if the problem is allocator-related by recompiling Redis with "
    "MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
# advice in the order Redis writes it: (name, text; '{threshold_us}' filled in)
ADVICE_TEXT = (
    ("better_vm", "- If you are using a virtual machine, consider upgrading it with a faster one "
     "using a hypervisior that provides less latency during fork() calls. Xen is known to have "
     "poor fork() performance. Even in the context of the same VM provider, certain kinds of "
     "instances can execute fork faster than others.\n"),
    ("slowlog_enabled", "- There are latency issues with potentially slow commands you are "
     "using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET "
     "slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not able to "
     "log slow commands execution for you.\n"),
    ("slowlog_tuning", "- Your current Slow Log configuration only logs events that are slower "
     "than your configured latency monitor threshold. Please use 'CONFIG SET "
     "slowlog-log-slower-than {threshold_us}'.\n"),
    ("slowlog_inspect", "- Check your Slow Log to understand what are the commands you are "
     "running which are too slow to execute. Please check https://redis.io/commands/slowlog for "
     "more information.\n"),
    ("scheduler", _SCHEDULER),
    ("local_disk", "- It is strongly advised to use local disks for persistence, especially if "
     "you are using AOF. Remote disks provided by platform-as-a-service providers are known to "
     "be slow.\n"),
    ("ssd", "- SSD disks are able to reduce fsync latency, and total time needed for "
     "snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely "
     "high write load SSD disks can be a good option. However Redis should perform reasonably "
     "with high load using normal disks. Use this advice as a last resort.\n"),
    ("data_writeback", "- Mounting ext3/4 filesystems with data=writeback can provide a "
     "performance boost compared to data=ordered, however this mode of operation provides less "
     "guarantees, and sometimes it can happen that after a hard crash the AOF file will have a "
     "half-written command at the end and will require to be repaired before Redis "
     "restarts.\n"),
    ("disk_contention", "- Try to lower the disk contention. This is often caused by other disk "
     "intensive processes running in the same computer (including other Redis instances).\n"),
    ("no_appendfsync", "- Assuming from the point of view of data safety this is viable in your "
     "environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that "
     "fsync will not be performed while there is a child rewriting the AOF file or producing an "
     "RDB file (the moment where there is high disk contention).\n"),
    ("relax_fsync_policy", "- Your fsync policy is set to 'always'. It is very hard to get good "
     "performances with such a setup, if possible try to relax the fsync policy to "
     "'onesec'.\n"),
    ("write_load_info", "- Latency during the AOF atomic rename operation or when the final "
     "difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by "
     "very high write load, causing the AOF buffer to get very large. If possible try to send "
     "less commands to accomplish the same work, or use Lua scripts to group multiple "
     "operations into a single EVALSHA call.\n"),
    ("hz", "- In order to make the Redis keys expiring process more incremental, try to set the "
     "'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n"),
    ("large_objects", "- Deleting, expiring or evicting (because of maxmemory policy) large "
     "objects is a blocking operation. If you have very large objects that are often deleted, "
     "expired, or evicted, try to fragment those objects into multiple smaller objects.\n"),
    ("mass_eviction", "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or "
     "allocation of large objects via sets or sorted sets intersections, STORE option of SORT, "
     "Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure "
     "forcing the server to block trying to evict keys. \n"),
    ("disable_thp", "- I detected a non zero amount of anonymous huge pages used by your "
     "process. This creates very serious latency events in different conditions, especially "
     "when Redis is persisting on disk. To disable THP support use the command 'echo never > "
     "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local "
     "so that the command will be executed again after a reboot. Note that even if you have "
     "already disabled THP, you still need to restart the Redis process to get rid of the huge "
     "pages already created.\n"),
)


def report(server) -> str:
    config = server.config
    threshold = config["latency-monitor-threshold"]
    events = server.latency.events
    if not events and threshold == 0:
        return DISABLED
    advice: set = set()
    count = 0  # (Redis counts an advice once per event that calls for it)
    lines = []
    for number, (event, record) in enumerate(events.items(), 1):
        if number == 1:
            lines.append("Dave, I have observed latency spikes in this Redis instance. You don't "
                         "mind talking about it, do you Dave?\n\n")
        lines.append(_event_line(number, event, record))
        called = list(EVENT_ADVICE.get(event, ()))
        if event == "fork":
            rate = server.children.fork_rate
            quality = ("terrible" if rate < 10 else "poor" if rate < 25 else
                       "good" if rate < 100 else "excellent")
            lines.append(f" Fork rate is {rate:.2f} GB/sec ({quality}).")
            if rate < 25:
                called.append("better_vm")
        if event == "command":
            slower_than = config["slowlog-log-slower-than"]
            if slower_than < 0:
                called.append("slowlog_enabled")
            elif int(slower_than / 1000) > threshold:
                called.append("slowlog_tuning")
            called += ["slowlog_inspect", "large_objects"]
        advice.update(called)
        count += len(called)
        lines.append("\n")
    if anon_huge_pages() > 0:
        advice.add("disable_thp")
        count += 1
    if not events and not count:
        lines.append(NO_SPIKES)
    elif not count:
        lines.append(NO_ADVICE)
    else:
        lines.append("\nI have a few advices for you:\n\n")
        if config["appendfsync"] != "always":
            advice.discard("relax_fsync_policy")
        if config["hz"] >= 100:
            advice.discard("hz")
        lines += [text.format(threshold_us=threshold * 1000)
                  for name, text in ADVICE_TEXT if name in advice]
    return "".join(lines)


def _event_line(number: int, event: str, record: dict) -> str:
    """analyzeLatencyForEvent's figures: integer average and mean absolute deviation, the
    seconds since the oldest spike kept per spike."""
    samples = [millis for _, millis in record["samples"]]
    average = sum(samples) // len(samples)
    deviation = sum(abs(average - millis) for millis in samples) // len(samples)
    period = max(1, int(time.time()) - min(when for when, _ in record["samples"]))
    return (f"{number}. {event}: {len(samples)} latency spikes (average {average}ms, mean "
            f"deviation {deviation}ms, period {period / len(samples):.2f} sec). Worst all time "
            f"event {record['max']}ms.")


def anon_huge_pages() -> int:
    """Bytes of anonymous transparent huge pages this process uses (Redis's
    THPGetAnonHugePagesSize), 0 where the kernel does not say."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
