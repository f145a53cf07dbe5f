"""MEMORY DOCTOR's report, as Redis's getMemoryDoctorReport writes it, for the conditions
Predis measures as Redis does: too little memory in use to judge (under 5 MB), a peak more
than 1.5 times the memory in use, clients' buffers over 200 KB each on average, replicas'
over 10 MB, more than 1,000 cached scripts.

Redis's fragmentation and RSS-overhead checks are not made: Predis's RSS holds the Python
interpreter and its libraries (tens of MB before any data), so those ratios would speak of the
runtime, not of the dataset, and INFO reports them as modelled figures."""

EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
    "be used in these conditions. Please, leave for your mission on Earth and fill it with some "
    "data. The new Sam and I will be back to our programming as soon as I finished "
    "rebooting.\n")
HEALTHY = ("Hi Sam, I can't find any memory issue in your instance. I can only account for "
           "what occurs on this base.\n")
FINDINGS = (
    ("big_peak", " * Peak memory: In the past this instance used more than 150% the memory that "
     "is currently using. The allocator is normally not able to release memory after a peak, so "
     "you can expect to see a big fragmentation ratio, however this is actually harmless and is "
     "only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is "
     "currently bigger than expected, the memory will be used as soon as you fill the Redis "
     "instance with more data. If the memory peak was only occasional and you want to try to "
     "reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is "
     "to shutdown and restart the instance.\n\n"),
    ("big_slave_buf", " * Big replica buffers: The replica output buffers in this instance are "
     "greater than 10MB for each replica (on average). This likely means that there is some "
     "replica instance that is struggling receiving data, either because it is too slow or "
     "because of networking issues. As a result, data piles on the master output buffers. "
     "Please try to identify what replica is not receiving data correctly and why. You can use "
     "the INFO output in order to check the replicas delays and the CLIENT LIST command to "
     "check the output buffers of each replica.\n\n"),
    ("big_client_buf", " * Big client buffers: The clients output buffers in this instance are "
     "greater than 200K per client (on average). This may result from different causes, like "
     "Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data "
     "piles on the Redis instance output buffer, or clients sending commands with large replies "
     "or very large sequences of commands in the same pipeline. Please use the CLIENT LIST "
     "command in order to investigate the issue if it causes problems in your instance, or to "
     "understand better why certain clients are using a big amount of memory.\n\n"),
    ("many_scripts", " * Many scripts: There seem to be many cached scripts in this instance "
     "(more than 1000). This may be because scripts are generated and `EVAL`ed, instead of "
     "being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT "
     "FLUSH` is called periodically, the scripts' caches may end up consuming most of your "
     "memory.\n\n"),
)


def report(server) -> str:
    used = server.used_memory()
    if used < 5 * 1024 * 1024:
        return EMPTY
    clients = server.clients
    clients.measure_all()
    peak = max(getattr(server, "memory_peak", 0), used)
    replicas = sum(1 for client in clients.by_id.values() if client.replica is not None)
    normal = max(1, len(clients.by_id) - replicas)
    found = {
        "big_peak": peak / used > 1.5,
        "big_slave_buf": replicas > 0 and clients.replica_memory > 10 * 1024 * 1024,
        "big_client_buf": (clients.memory - clients.replica_memory) // normal > 200 * 1024,
        "many_scripts": len(server.scripts) > 1000,
    }
    if not any(found.values()):
        return HEALTHY
    return ("Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            + "".join(text for name, text in FINDINGS if found[name])
            + "I'm here to keep you safe, Sam. I want to help you.\n")
