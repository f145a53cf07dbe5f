"""A fake asyncio transport, so the protocol can be tested without sockets; a clock to set."""


class Clock:
    """A time function whose time the test moves (`clock.now += 5`)."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeTransport:
    def __init__(self):
        self.writes = []
        self.closed = False
        self.reading = True
        self.buffer_size = 0

    def write(self, data):
        self.writes.append(bytes(data))

    def set_write_buffer_limits(self, high=None, low=None):
        self.limits = (high, low)

    def get_extra_info(self, name):
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 6379)}.get(name)

    def get_write_buffer_size(self):
        return self.buffer_size

    def pause_reading(self):
        self.reading = False

    def resume_reading(self):
        self.reading = True

    def close(self):
        self.closed = True

    def abort(self):
        self.writes.clear()  # unsent output is discarded
        self.closed = True

    @property
    def output(self) -> bytes:
        return b"".join(self.writes)


def make_server(*argv):
    from ops.config import Config
    from server.app import PredisServer

    config = Config()
    # the CPU engine unless a test asks for another: "auto" would pick the GPU engine on a
    # machine with one, whose batcher defers replies to an event loop these fakes don't run
    config.load_argv(["--engine", "cpu", *argv])
    return PredisServer(config)


def connect(server):
    transport = FakeTransport()
    connection = server.protocol_factory()
    connection.connection_made(transport)
    return connection, transport
