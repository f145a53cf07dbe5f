"""A minimal RESP client over a raw socket: sends a command, returns the parsed reply.

Errors come back as `Err(message)` values (not raised) so replies compare with ==.
"""

import socket

import hiredis


class Err(str):
    def __repr__(self):
        return f"Err({str.__repr__(self)})"


def encode_command(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, (int, float)):
            arg = str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(parts)


class RawClient:
    def __init__(self, port: int = 0, timeout: float = 10.0, unix_path: str = ""):
        """A connection to 127.0.0.1:`port`, or to the Unix socket at `unix_path`."""
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.reader = hiredis.Reader(replyError=Err)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_reply(self):
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.reader.feed(chunk)

    def call(self, *args):
        self.send_raw(encode_command(*args))
        return self.read_reply()

    def read_all_until_close(self) -> bytes:
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, TimeoutError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()
