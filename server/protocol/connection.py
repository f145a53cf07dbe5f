"""One client connection: an asyncio Protocol over the request parser and the reply writer.

Everything complete in one read is executed in order and answered with a single write. The
connection knows nothing about commands: it hands each argument list to `session.execute` and
encodes whatever comes back. A handler that must wait (blocking commands, WAIT, CLIENT PAUSE)
returns a `Deferred`; later commands from this client queue behind it, in order.
"""

import asyncio
import os
import socket
import time
from itertools import repeat
from operator import is_

_now = time.time

from ..replies import OK, ErrorReply, Raw, Replies
from .query_buffer import QueryBuffer
from .reply_buffer import ReplyBuffer
from .reader import ProtocolError, RequestParser, unauthenticated_refusal
from .writer import bulk_strings, encode_into

# Stop reading from a client while this much output waits in the socket buffer (flow control).
WRITE_HIGH_WATER = 16 * 1024 * 1024
WRITE_LOW_WATER = 4 * 1024 * 1024
_BYTES = {bytes}  # (replies that are all bulk strings are encoded in one join)


class Deferred:
    """A reply that is not ready yet. `future` resolves to the reply value."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future):
        self.future = future


class Connection(asyncio.Protocol):
    """Parses requests, runs them through a session, writes replies; applies flow control."""

    def __init__(self, session_factory, limits):
        self._session_factory = session_factory
        # Shared with the server (server/traffic.py): the limits each read is checked against
        # and the traffic counters
        self._limits = limits
        self.replica_link = False  # a replica's connection: its output counts as replication
        self.session = None
        self.transport = None
        self._parser = RequestParser()
        self._out: list = []
        self._replies: list = []  # replies (and pushes) of the batch being executed
        # pushes that follow the reply of the running command (a batch moves them in after it)
        self.held_pushes: list = []
        self._in_batch = False
        self._read_bytes = 0  # size of the read being executed (CLIENT LIST's qbuf)
        self.query_buffer = QueryBuffer()  # the room Redis's buffer would take (qbuf-free)
        self.query_peak = 0  # the most input buffered after a read since the client cron
        self.reply_buffer = ReplyBuffer(int(_now() * 1000))  # the size of Redis's (rbs)
        self.reply_peak = 0  # the largest write since the reply buffer's peak reset
        self._backlog: list = []  # commands waiting behind a Deferred reply
        self._waiting = None
        self._reading_paused = False
        self._write_paused = False
        self.closed = False
        self.lost = False  # connection_lost ran (server/busy_io.py may run it before the loop)
        # fn(connection, size) before each write of `size` bytes: an output limit's check;
        # True when it closed the connection (the output is then dropped, as Redis drops it)
        self.output_check = None

    # -- asyncio callbacks --------------------------------------------------------------
    def connection_made(self, transport):
        previous, self.transport = self.transport, transport
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER, low=WRITE_LOW_WATER)
        if self.session is None:
            self.session = self._session_factory(self)
        else:  # accepted while a script was busy (server.busy_io): the loop takes it over
            previous.hand_over(transport)

    def connection_lost(self, exc):
        if self.lost:
            return
        self.lost = self.closed = True
        if self._waiting is not None and not self._waiting.done():
            self._waiting.cancel()
        self._backlog.clear()
        if self.session is not None:
            self.session.on_disconnect()
            # (the session refers back to this connection: see Client.on_disconnect)
            self.session = None

    def pause_writing(self):
        self._write_paused = True
        self._pause_reading()

    def resume_writing(self):
        self._write_paused = False
        if self._waiting is None:
            self._resume_reading()

    def data_received(self, data: bytes):
        self._read_bytes = size = len(data)
        if size > self.query_peak:
            self.query_peak = size
        limits = self._limits
        limits.net_input_bytes += size
        limits.reads += 1
        if not limits.cycle.open:
            limits.cycle.begin()
        self.session.last_interaction = _now()
        parser = self._parser
        commands: list = []
        try:
            parser.read(data, commands)
            parser.check_partial(self._limits.proto_max_bulk_len)  # a command left half-read
        except ProtocolError as exc:
            if self.session.authenticated:
                self._run(commands)
            else:
                self._run_unauthenticated(commands, check_partial=False)
            if not self.closed:
                self._protocol_error(str(exc))
            return
        # Input can only pile up across reads that complete no command (a read that completes
        # one leaves at most its own length pending), so the limit is checked only then.
        if not commands or size > self._limits.query_buffer_limit:
            buffered = parser.buffered()
            if buffered > self.query_peak:
                self.query_peak = buffered
            if buffered >= 32 * 1024:  # Redis's peak counts a big argument's whole length
                big = parser.big_argument_in_progress()
                if big is not None and big[0] + 2 > self.query_peak:
                    self.query_peak = big[0] + 2
            if buffered > self._limits.query_buffer_limit:
                # Redis closes such a client without a reply ("closing client that reached
                # max query buffer length") and keeps serving everyone else.
                self.session.log_event("client_query_buffer_limit", buffered=buffered)
                self.close()
                return
            if self._limits.clients_evictable:  # (the next command anyone runs judges it)
                self.session.measure_memory()
        if not self.session.authenticated:
            self._run_unauthenticated(commands)
        elif commands:
            if self._waiting is not None:
                self._backlog.extend(commands)
            elif len(commands) == 1:
                self._run_one(commands[0])
            else:
                self._run(commands)

    def eof_received(self):
        return False  # close our side too, like Redis

    # -- execution ----------------------------------------------------------------------
    def _run_one(self, args):
        """The unpipelined case (one command per read), without the batch machinery."""
        session = self.session
        self._in_batch = True
        reply = session.execute(args)
        self._in_batch = False
        if type(reply) is Deferred:
            self._wait_for(reply, [])
            return
        if self._replies:  # pushes delivered to ourselves while the command ran
            pushes, self._replies = self._replies, []
            self._encode(pushes, session.resp3, session.resp3)
        kind = type(reply)
        if kind is bytes:
            self._write(b"$%d\r\n%b\r\n" % (len(reply), reply))
        elif reply is OK:
            self._write(b"+OK\r\n")
        else:
            encode_into(self._out, reply, session.resp3)
            self.flush()
        if self.held_pushes:
            self._encode_after()
            self.flush()
        if session.close_after_reply:
            self.close()

    def _run_unauthenticated(self, commands, check_partial=True):
        """Before AUTH, Redis refuses (as a protocol error) commands of more than 10 arguments
        or with arguments over 16 KB (multibulk ones: inline commands are short anyway).
        Commands run one by one, since an AUTH among them lifts the limits for those after it;
        so does the check of a command left half-read."""
        session = self.session
        inline = self._parser.inline_indexes
        for index, args in enumerate(commands):
            if session.authenticated:
                self._run(commands[index:])
                return
            refusal = None if index in inline else unauthenticated_refusal(args)
            if refusal is not None:
                self._protocol_error(refusal)
                return
            self._run([args])
            if self.closed:
                return
        if check_partial and not session.authenticated:
            try:
                self._parser.check_partial(self._limits.proto_max_bulk_len, unauthenticated=True)
            except ProtocolError as exc:
                self._protocol_error(str(exc))

    def _write(self, data: bytes):
        if self._out:
            self._out.append(data)
            self.flush()
        elif not self.closed:
            limits = self._limits
            if limits.before_reply is not None and limits.before_reply(self):
                self._out.append(data)  # held until what it acknowledges is durable
                return
            size = len(data)
            if self.output_check is not None and self.output_check(self, size):
                return
            if self.replica_link:
                limits.net_repl_output_bytes += size
            else:
                limits.net_output_bytes += size
            limits.writes += 1
            if size > self.reply_peak:
                self.reply_peak = size
            self.transport.write(data)

    def _run(self, commands):
        session = self.session
        replies = self._replies
        index, total = 0, len(commands)
        self._in_batch = True
        while index < total and not self.closed:
            resp3 = session.resp3
            index = session.execute_batch(commands, index, replies)
            deferred = replies.pop() if replies and type(replies[-1]) is Deferred else None
            self._encode(replies, resp3, session.resp3)
            replies.clear()
            if self.held_pushes and deferred is None:
                self._encode_after()
            if deferred is not None:
                self._wait_for(deferred, commands[index:])
                break
            if session.close_after_reply:
                break
        self._in_batch = False
        self.flush()
        if session.close_after_reply:
            self.close()

    def _encode(self, replies: list, resp3: bool, last_resp3: bool) -> None:
        """Encode replies in order; when the batch ended with a protocol switch (HELLO), the
        last reply is already in the new protocol."""
        out = self._out
        if last_resp3 is not resp3:
            last = replies.pop()
            self._encode(replies, resp3, resp3)
            encode_into(out, last, last_resp3)
            return
        if all(map(is_, replies, repeat(OK))):  # a run of writes: all +OK
            out.append(b"+OK\r\n" * len(replies))
            return
        if set(map(type, replies)) == _BYTES:  # a run of GETs that all found their key
            out.append(bulk_strings(replies))
            return
        null = b"_\r\n" if resp3 else b"$-1\r\n"
        for reply in replies:
            if type(reply) is bytes:  # the common replies, encoded without a call
                out.append(b"$%d\r\n%b\r\n" % (len(reply), reply))
            elif reply is None:
                out.append(null)
            else:
                encode_into(out, reply, resp3)

    def _wait_for(self, deferred: Deferred, rest: list):
        self._backlog[:0] = rest
        self._waiting = deferred.future
        deferred.future.add_done_callback(self._deferred_done)

    def _deferred_done(self, future):
        self._waiting = None
        if self.closed or future.cancelled():
            return
        exc = future.exception()
        reply = ErrorReply(f"ERR {exc}") if exc is not None else future.result()
        if type(reply) is Deferred:  # a handler may chain another wait
            self._wait_for(reply, [])
            return
        if type(reply) is Replies:  # a deferred run of commands: one reply each
            self._encode(reply, self.session.resp3, self.session.resp3)
        else:
            encode_into(self._out, reply, self.session.resp3)
        if self.held_pushes:
            self._encode_after()
        backlog, self._backlog = self._backlog, []
        if self.session.close_after_reply:  # (e.g. a blocked client its primary demoted)
            self.flush()
            self.close()
            return
        if backlog:
            self._run(backlog)
        else:
            self.flush()
        if not self._write_paused and self._waiting is None:
            self._resume_reading()

    # -- output -------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        """Bytes that are not a reply (a replication stream, an RDB), in order with replies."""
        self.deliver(Raw(data))

    def deliver(self, value, after_reply: bool = False):
        """Send an out-of-band reply (push message, MONITOR line) after pending output.
        `after_reply`: if this connection's command is running (or waiting to be served),
        the push follows that command's reply (Redis's rule for tracking invalidations)."""
        if self.closed:
            return
        if after_reply and (self._in_batch or self._waiting is not None):
            self.held_pushes.append(value)
            return
        if self._in_batch:  # keep its place among the replies of the batch being executed
            self._replies.append(value)
            return
        encode_into(self._out, value, self.session.resp3)
        self.flush()

    def _encode_after(self) -> None:
        """The pushes held for after the reply just encoded."""
        after = self.held_pushes[:]  # (the same list stays: execute_batch holds on to it)
        self.held_pushes.clear()
        self._encode(after, self.session.resp3, self.session.resp3)

    def flush(self):
        out = self._out
        if out and not self.closed:
            limits = self._limits
            if limits.before_reply is not None and limits.before_reply(self):
                return  # held: the gate flushes this connection once the data is durable
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            size = len(data)
            if self.output_check is not None and self.output_check(self, size):
                return
            if self.replica_link:
                limits.net_repl_output_bytes += size
            else:
                limits.net_output_bytes += size
            limits.writes += 1
            if size > self.reply_peak:
                self.reply_peak = size
            self.transport.write(data)
            return
        out.clear()

    def has_pending_output(self) -> bool:
        """Replies not written yet: of the batch's earlier commands, or still buffered."""
        return bool(self._replies or self._out or self.transport.get_write_buffer_size())

    @property
    def executing(self) -> bool:
        """A command of this connection is running now."""
        return self._in_batch

    @property
    def reading_paused(self) -> bool:
        return self._reading_paused

    def output_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() if self.transport else 0

    def query_buffer_room(self) -> int:
        """Redis's query buffer allocation (qbuf + qbuf-free), see query_buffer.py."""
        big = None if self._in_batch else self._parser.big_argument_in_progress()
        if big is not None:
            return self.query_buffer.room_for_big_argument(big[0])
        return max(self.query_buffer.room(self.query_peak), self.query_buffer_size())

    def resize_query_buffer(self, idle_seconds: float) -> None:
        """The client cron's turn: Redis gives unused query buffer room back."""
        if self._parser.big_argument_in_progress() is not None:
            return  # (sized for the argument: query_buffer_room)
        buffered = self.query_buffer_size()
        self.query_buffer.cron(buffered, self.query_peak, idle_seconds)
        self.query_peak = buffered

    def resize_reply_buffer(self, now_ms: int, settings) -> None:
        """The client cron's turn: the reply buffer's size follows its recent peak."""
        if self.reply_buffer.cron(self.reply_peak, now_ms, settings):
            self.reply_peak = 0

    def input_held(self) -> int:
        """Memory held for input of commands not complete yet (what memory accounting
        counts: a pipeline's complete commands are let go as the read is executed): the bytes
        waiting, or for an argument of 32 KB or more still arriving the room Redis makes for
        all of it at once."""
        big = self._parser.big_argument_in_progress()
        if big is not None:
            return self.query_buffer.room_for_big_argument(big[0])
        return self._parser.pending()

    def query_buffer_size(self) -> int:
        """Redis's qbuf: while this connection runs commands, the read they came in (Redis
        trims its query buffer after the whole read is processed), else the input waiting;
        of an argument of 32 KB or more still arriving, only its own bytes (Redis moves such
        an argument to the start of its buffer)."""
        if self._in_batch:
            return self._read_bytes
        big = self._parser.big_argument_in_progress()
        return big[1] if big is not None else self._parser.pending()

    def _protocol_error(self, message: str):
        encode_into(self._out, ErrorReply("ERR Protocol error: " + message), self.session.resp3)
        self.flush()
        self.session.log_event("protocol_error", error=message)
        self.close()

    def close(self):
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()

    def abort(self):
        """Close at once, discarding unsent output (a client over its output limit, CLIENT
        KILL): the peer sees the connection end now, as Redis's close(2) shows it, not at the
        event loop's next turn (a killed replica reconnects before a reply written after the
        kill reaches its sender, as with Redis)."""
        if not self.closed and self.transport is not None:
            self.closed = True
            shut_down_now(self.transport.get_extra_info("socket"))
            self.transport.abort()

    def _pause_reading(self):
        if not self._reading_paused and self.transport is not None and not self.closed:
            self._reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self):
        if self._reading_paused and not self.closed:
            self._reading_paused = False
            self.transport.resume_reading()


def shut_down_now(sock) -> None:
    """Shut a transport's socket down for both directions at once (a duplicate descriptor:
    the transport still owns and closes the original)."""
    if sock is None:
        return
    try:
        with socket.socket(fileno=os.dup(sock.fileno())) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
