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
    """The options as written (syntax, REDIRECT's client), not yet checked together."""
    options = TrackingOptions()
    i = 3
    while i < len(args):
        word = lower(args[i])
        if word == b"redirect" and i + 1 < len(args):
            if options.redirect:  # (a REDIRECT 0 before it does not count)
                raise CommandError("ERR A client can only redirect to a single other client")
            options.redirect = to_int(args[i + 1])
            if options.redirect not in client.server.clients.by_id:
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
    return options


def _refuse_switching_on(current, options: TrackingOptions) -> None:
    """CLIENT TRACKING ON's checks of the options together and against the tracking already
    on (`current`, or None), in Redis's order."""
    if options.prefixes and not options.bcast:
        raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
    if current is not None and current.bcast != options.bcast:
        raise CommandError(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this "
            "client, and then re-enabling it with a different mode.")
    if (options.optin or options.optout) and options.bcast:
        raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    if options.optin and options.optout:
        raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if current is not None and ((options.optin and current.optout)
                                or (options.optout and current.optin)):
        raise CommandError(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
            "client, and then re-enabling it with a different mode.")


def _check_prefixes(new: list, existing: list) -> None:
    """No prefix may overlap (be a prefix of) another of the client's: each new one is
    checked against those it has, then against the ones given after it, as Redis does."""
    def overlap(a, b):
        return a.startswith(b) or b.startswith(a)

    def text(prefix):
        return prefix.decode(errors="replace")

    for n, prefix in enumerate(new):
        for known in sorted(existing):
            if overlap(known, prefix):
                raise CommandError(f"ERR Prefix '{text(prefix)}' overlaps with an existing "
                                   f"prefix '{text(known)}'. Prefixes for a single client must "
                                   "not overlap.")
        for later in new[n + 1:]:
            if overlap(prefix, later):
                raise CommandError(f"ERR Prefix '{text(prefix)}' overlaps with another provided "
                                   f"prefix '{text(later)}'. Prefixes for a single client must "
                                   "not overlap.")


@command("tracking", -3, "noscript loading stale", (0, 0, 0), G, "Controls server-assisted "
         "client-side caching for the connection.", "6.0.0", parent="client")
def client_tracking(client, args):
    switch = lower(args[2])
    if switch == b"off":
        if len(args) > 3:
            _options(client, args)  # Redis reads the options even when switching off
        client.server.tracking.disable(client)
        return OK
    if switch != b"on":
        raise CommandError(errors.SYNTAX)
    options = _options(client, args)
    current = client.tracking
    _refuse_switching_on(current, options)
    existing = current.prefixes if current is not None else []
    _check_prefixes(options.prefixes, existing)
    if options.bcast:  # prefixes add up while BCAST stays on (none given: the empty one)
        added = options.prefixes or [b""]
        options.prefixes = existing + [p for p in added if p not in existing]
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
    if options.broken_redirect:
        flags.append("broken_redirect")
    return {"flags": flags, "redirect": options.redirect,
            "prefixes": sorted(options.prefixes)}


@command("caching", 3, "noscript loading stale", (0, 0, 0), G, "Instructs the server whether "
         "to track the keys in the next request.", "6.0.0", parent="client")
def client_caching(client, args):
    options = client.tracking
    if options is None:  # (tracking without OPTIN/OPTOUT gets the per-mode errors below)
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
