"""Where the server listens and who may connect: `bind` addresses (with redis.conf's `-`
optional prefix and `*` / `::*` wildcards) and protected mode's loopback test and refusal."""


PROTECTED_MODE_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from the "
    b"loopback interface. If you want to connect from external computers to Redis you may adopt "
    b"one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    b"SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    b"host the server is running, however MAKE SURE Redis is not publicly accessible from "
    b"internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    b"you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you "
    b"started the server manually just for testing, restart it with the '--protected-mode no' "
    b"option. 4) Set up an authentication password for the default user. NOTE: You only need to "
    b"do one of the above things in order for the server to start accepting connections from "
    b"the outside.\r\n")


def is_loopback(addr: str) -> bool:
    host = addr.rsplit(":", 1)[0].strip("[]")
    return host.startswith("127.") or host in ("::1", "localhost", "") or \
        host.startswith("::ffff:127.")


def bind_hosts(binds: list) -> list:
    hosts = []
    for item in binds:
        optional = item.startswith("-")
        host = item[1:] if optional else item
        if host == "*":
            host = "0.0.0.0"
        elif host == "::*":
            host = "::"
        hosts.append(("-" if optional else "") + host)
    return hosts
