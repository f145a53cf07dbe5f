"""CLIENT TRACKING, TRACKINGINFO, CACHING and GETREDIR (server/tracking.py does the work)."""

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..replies import OK
from ..tracking import TrackingOptions
from . import connection  # noqa: F401  (declares the CLIENT container first)
from .common import lower, to_int

G = "connection"


def _options(client, args) -> TrackingOptions:
    options = TrackingOptions()
    i = 3
    while i < len(args):
        word = lower(args[i])
        if word == b"redirect" and i + 1 < len(args):
            options.redirect = to_int(args[i + 1])
            if options.redirect and options.redirect not in client.server.clients.by_id:
                raise CommandError("ERR The client ID you want redirect to does not exist")
            i += 1
        elif word == b"bcast":
            options.bcast = True
        elif word == b"optin":
            options.optin = True
        elif word == b"optout":
            options.optout = True
        elif word == b"noloop":
            options.noloop = True
        elif word == b"prefix" and i + 1 < len(args):
            options.prefixes.append(bytes(args[i + 1]))
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if options.prefixes and not options.bcast:
        raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
    if options.optin and options.optout:
        raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if (options.optin or options.optout) and options.bcast:
        raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    for n, first in enumerate(options.prefixes):
        for second in options.prefixes[n + 1:]:
            if first.startswith(second) or second.startswith(first):
                raise CommandError(
                    f"ERR Prefix '{first.decode(errors='replace')}' overlaps with another "
                    f"provided prefix '{second.decode(errors='replace')}'. Prefixes for a "
                    "single client must not overlap.")
    return options


@command("tracking", -3, "noscript loading stale", (0, 0, 0), G, "Controls server-assisted "
         "client-side caching for the connection.", "6.0.0", parent="client")
def client_tracking(client, args):
    switch = lower(args[2])
    if switch == b"off":
        if len(args) > 3:
            _options(client, args)  # Redis checks the options even when switching off
        client.server.tracking.disable(client)
        return OK
    if switch != b"on":
        raise CommandError(errors.SYNTAX)
    options = _options(client, args)
    current = client.tracking
    if current is not None:
        if current.bcast != options.bcast:
            raise CommandError(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this "
                "client, and then re-enabling it with a different mode.")
        if options.bcast:  # prefixes add up while BCAST stays on
            options.prefixes = current.prefixes + [p for p in options.prefixes
                                                   if p not in current.prefixes]
    client.server.tracking.enable(client, options)
    return OK


@command("trackinginfo", 2, "noscript loading stale", (0, 0, 0), G, "Returns information "
         "about server-assisted client-side caching for the connection.", "6.2.0",
         parent="client")
def client_trackinginfo(client, args):
    options = client.tracking
    if options is None:
        return {"flags": ["off"], "redirect": -1, "prefixes": []}
    flags = ["on"]
    for name in ("bcast", "optin", "optout"):
        if getattr(options, name):
            flags.append(name)
    if options.caching is True:
        flags.append("caching-yes")
    elif options.caching is False:
        flags.append("caching-no")
    if options.noloop:
        flags.append("noloop")
    if options.redirect and options.redirect not in client.server.clients.by_id:
        flags.append("broken_redirect")
    return {"flags": flags, "redirect": options.redirect,
            "prefixes": list(options.prefixes)}


@command("caching", 3, "noscript loading stale", (0, 0, 0), G, "Instructs the server whether "
         "to track the keys in the next request.", "6.0.0", parent="client")
def client_caching(client, args):
    options = client.tracking
    if options is None or not (options.optin or options.optout):
        raise CommandError("ERR CLIENT CACHING can be called only when the client is in "
                           "tracking mode with OPTIN or OPTOUT mode enabled")
    choice = lower(args[2])
    if choice == b"yes" and options.optin:
        options.caching = True
    elif choice == b"no" and options.optout:
        options.caching = False
    elif choice in (b"yes", b"no"):
        raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                           "OPTIN mode." if choice == b"yes" else
                           "ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                           "OPTOUT mode.")
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@command("getredir", 2, "noscript loading stale", (0, 0, 0), G, "Returns the client ID to "
         "which the connection's tracking notifications are redirected.", "6.0.0",
         parent="client")
def client_getredir(client, args):
    options = client.tracking
    if options is None:
        return -1
    return options.redirect
