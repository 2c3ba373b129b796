"""A real SFTP server on 127.0.0.1 (asyncssh, in a background thread) for delivery tests."""
import asyncio
import socket
import threading

import asyncssh


def closed_port():
    """A loopback port nobody listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackSFTP:
    def __init__(self, root, client_key_path):
        self.root = root
        client_key = asyncssh.generate_private_key("ssh-ed25519")
        client_key.write_private_key(str(client_key_path))
        self.client_key_path = str(client_key_path)
        self._authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
        self._host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_key_line = self._host_key.export_public_key().decode().strip()

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self._run(self._listen())
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _listen(self):
        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[self._host_key], authorized_client_keys=self._authorized,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root)), allow_scp=False)

    def __exit__(self, *exc):
        self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    async def _close(self):
        # On the loop's own thread: asyncio servers are not thread-safe, and closing one from the test's
        # thread raced with the loop (a teardown error seen under load).
        self.server.close()
        await self.server.wait_closed()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def vendor_fields(self, port=None):
        return {"sftp_host": "127.0.0.1", "sftp_port": port or self.port, "sftp_user": "cobra",
                "sftp_key_path": self.client_key_path, "sftp_path": "inbound", "sftp_host_key": self.host_key_line}
