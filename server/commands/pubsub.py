"""Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB."""

from .. import errors
from ..command_table import command, container
from ..errors import CommandError
from ..replies import NO_REPLY, Push


G = "pubsub"


def _confirm(client, kind: str, action: bytes, name) -> None:
    count = client.server.pubsub.count(client, kind)
    client.deliver(Push([action, name, count]))


def _subscribe(client, args, kind: str, action: bytes):
    for name in args[1:]:
        client.server.pubsub.subscribe(client, kind, name)
        _confirm(client, kind, action, name)
    return NO_REPLY


def _unsubscribe(client, args, kind: str, action: bytes):
    pubsub = client.server.pubsub
    names = args[1:] or pubsub.names(client, kind)
    if not names:
        _confirm(client, kind, action, None)
    for name in names:
        pubsub.unsubscribe(client, kind, name)
        _confirm(client, kind, action, name)
    return NO_REPLY


@command("subscribe", -2, "pubsub noscript loading stale", (0, 0, 0), G, "Listens for messages "
         "published to channels.", "2.0.0")
def subscribe(client, args):
    return _subscribe(client, args, "channel", b"subscribe")


@command("psubscribe", -2, "pubsub noscript loading stale", (0, 0, 0), G, "Listens for messages "
         "published to channels that match one or more patterns.", "2.0.0")
def psubscribe(client, args):
    return _subscribe(client, args, "pattern", b"psubscribe")


@command("ssubscribe", -2, "pubsub noscript loading stale", (1, -1, 1), G, "Listens for "
         "messages published to shard channels.", "7.0.0")
def ssubscribe(client, args):
    if client.in_exec:
        raise CommandError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    return _subscribe(client, args, "shard", b"ssubscribe")


@command("unsubscribe", -1, "pubsub noscript loading stale", (0, 0, 0), G, "Stops listening to "
         "messages posted to channels.", "2.0.0")
def unsubscribe(client, args):
    return _unsubscribe(client, args, "channel", b"unsubscribe")


@command("punsubscribe", -1, "pubsub noscript loading stale", (0, 0, 0), G, "Stops listening to "
         "messages published to channels that match one or more patterns.", "2.0.0")
def punsubscribe(client, args):
    return _unsubscribe(client, args, "pattern", b"punsubscribe")


@command("sunsubscribe", -1, "pubsub noscript loading stale", (1, -1, 1), G, "Stops listening to "
         "messages posted to shard channels.", "7.0.0")
def sunsubscribe(client, args):
    return _unsubscribe(client, args, "shard", b"sunsubscribe")


@command("publish", 3, "pubsub loading stale fast may_replicate", (0, 0, 0), G, "Posts a message "
         "to a channel.", "2.0.0")
def publish(client, args):
    return client.server.pubsub.publish(args[1], args[2])


@command("spublish", 3, "pubsub loading stale fast may_replicate", (1, 1, 1), G, "Post a "
         "message to a shard channel", "7.0.0")
def spublish(client, args):
    return client.server.pubsub.publish(args[1], args[2], shard=True)


container("pubsub", -2, "", G, "A container for Pub/Sub commands.", "2.8.0")


@command("channels", -2, "pubsub loading stale", (0, 0, 0), G, "Returns the active channels.",
         "2.8.0", parent="pubsub")
def pubsub_channels(client, args):
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "pubsub"))
    return client.server.pubsub.channel_names(args[2] if len(args) == 3 else None)


@command("shardchannels", -2, "pubsub loading stale", (0, 0, 0), G, "Returns the active shard "
         "channels.", "7.0.0", parent="pubsub")
def pubsub_shardchannels(client, args):
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "pubsub"))
    return client.server.pubsub.channel_names(args[2] if len(args) == 3 else None, shard=True)


@command("numsub", -2, "pubsub loading stale", (0, 0, 0), G, "Returns a count of subscribers to "
         "channels.", "2.8.0", parent="pubsub")
def pubsub_numsub(client, args):
    channels = client.server.pubsub.channels
    out = []
    for name in args[2:]:
        out += [name, len(channels.get(name, ()))]
    return out


@command("shardnumsub", -2, "pubsub loading stale", (0, 0, 0), G, "Returns the count of "
         "subscribers of shard channels.", "7.0.0", parent="pubsub")
def pubsub_shardnumsub(client, args):
    channels = client.server.pubsub.shard_channels
    out = []
    for name in args[2:]:
        out += [name, len(channels.get(name, ()))]
    return out


@command("numpat", 2, "pubsub loading stale", (0, 0, 0), G, "Returns a count of unique pattern "
         "subscriptions.", "2.8.0", parent="pubsub")
def pubsub_numpat(client, args):
    return len(client.server.pubsub.patterns)


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "6.2.0", parent="pubsub")
def pubsub_help(client, args):
    return ["PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT", "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> "
            "(default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP", "    Prints this help."]


