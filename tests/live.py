"""A real HTTP server for browser tests: the app in a thread, stoppable and restartable
on the same port (the screen player must keep playing while the server is down)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


def _whole_bodies(app: Flask) -> Callable[..., Iterable[bytes]]:
    """The app, answering each response as bytes read before the server writes them.

    Werkzeug's development server, after writing a response, reads what is left of
    the request, and when the browser has already reset the connection (a player
    changing slides, a page navigating away) that read raises before the server
    closes the response: a file being sent (send_file) stays open until the garbage
    collector finds it, a ResourceWarning, which fails the test that happens to run.
    Bodies here are small and finite (pages, images, CSV); gunicorn, which serves
    the app in production, closes responses whatever the client does.
    """

    def wsgi(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, app: Flask, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        deadline = time.monotonic() + 10
        while True:  # the port may linger in TIME_WAIT right after stop()
            try:
                self._server = make_server(
                    "127.0.0.1", self.port, _whole_bodies(self.app), threaded=True
                )
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None
