"""The playground's web server: one page, one WebSocket, one training session per tab.

``serve()`` runs it (``glassnet playground`` calls it); :class:`PlaygroundServer` runs it on a
background thread (tests and benchmarks).  Everything the page needs is served from
``static/``: no build step, nothing fetched from elsewhere.

Routes
    ``GET /``            the page (2-D points)
    ``GET /images``      the Images page (digits and a CNN; ``images_session.py``)
    ``GET /text``        the Text page (a text and a tiny GPT; ``text_session.py``)
    ``GET /static/...``  app.js, style.css
    ``GET /api/health``  {"ok": true, "sessions": n}
    ``WS  /ws``          the session (see ``protocol.py`` and ``session.py`` for the messages)
    ``WS  /ws/images``   the Images page's session (``images_protocol.py``)
    ``WS  /ws/text``     the Text page's session (``text_protocol.py``)
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import webbrowser
from pathlib import Path
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import protocol as P
from .session import Session

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("glassnet.playground")
WS_MAX_SIZE = 1024 * 1024


class Registry:
    """The live sessions of this process, bounded in number overall and per client address."""

    def __init__(self, max_sessions: int = 64, fps: float = 30.0, max_per_client: int = 32):
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client
        self.fps = fps
        self.sessions: dict[str, Session] = {}
        self.clients: dict[str, str] = {}        # session id -> client address
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.sessions)

    def add(self, session: Session, client: str = "") -> str | None:
        """Register ``session``; None if it fits, else why not (a sentence for the page)."""
        with self.lock:
            if len(self.sessions) >= self.max_sessions:
                return (f"the playground already runs {self.max_sessions} sessions; close a tab and reload")
            mine = sum(1 for c in self.clients.values() if c == client)
            if mine >= self.max_per_client:
                return (f"this address already has {self.max_per_client} playground tabs open (the limit "
                        f"per address); close one and reload")
            self.sessions[session.id] = session
            self.clients[session.id] = client
            return None

    def training(self) -> int:
        """How many sessions are training now."""
        return sum(1 for s in list(self.sessions.values()) if s.playing)

    def remove(self, session: Session) -> None:
        with self.lock:
            self.sessions.pop(session.id, None)
            self.clients.pop(session.id, None)


def _hello(session: Session) -> dict:
    return {"type": "hello", "session": session.id, "limits": P.LIMITS.as_dict(),
            "defaults": P.Config().model_dump(),
            "options": {"features": list(P.FEATURES), "activations": list(P.ACTIVATIONS),
                        "optimizers": list(P.OPTIMIZERS), "losses": {k: list(v) for k, v in P.LOSSES.items()},
                        "datasets": {"classification": list(P.CLASSIFICATION_SETS),
                                     "regression": list(P.REGRESSION_SETS)}}}


def _origin_ok(ws: WebSocket) -> bool:
    """Refuse pages from other sites (a page elsewhere must not drive a local playground)."""
    origin = ws.headers.get("origin")
    if not origin:
        return True                     # not a browser (tests, scripts)
    return urlparse(origin).netloc == ws.headers.get("host")


async def _sender(ws: WebSocket, session: Session, wake: asyncio.Event) -> None:
    while True:
        await wake.wait()
        wake.clear()
        for item in session.take():
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_text(item)


async def websocket_endpoint(ws: WebSocket) -> None:
    """The 2-D page's session."""
    await serve_session(ws, Session, _hello, P.parse_client_message)


async def images_endpoint(ws: WebSocket) -> None:
    """The Images page's session."""
    from .images_session import ImagesSession, hello
    from .images_protocol import parse_images_message
    await serve_session(ws, ImagesSession, hello, parse_images_message)


async def text_endpoint(ws: WebSocket) -> None:
    """The Text page's session."""
    from .text_protocol import parse_text_message
    from .text_session import TextSession, hello
    await serve_session(ws, TextSession, hello, parse_text_message)


async def serve_session(ws: WebSocket, session_class, hello, parse) -> None:
    """One tab's WebSocket: a ``session_class`` session, its ``hello``, its messages read by
    ``parse`` (a function raising ``ProtocolError``); every page of the playground runs this."""
    registry: Registry = ws.app.state.registry
    if not _origin_ok(ws):
        await ws.close(code=1008)
        return
    await ws.accept()
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def notify() -> None:
        try:
            loop.call_soon_threadsafe(wake.set)
        except RuntimeError:            # the loop has closed: the server is stopping
            pass

    session = session_class(notify=notify, fps=registry.fps, crowd=registry.training)
    refused = registry.add(session, ws.client.host if ws.client else "")
    if refused:
        await ws.send_text(json.dumps({"type": "error", "message": refused}))
        await ws.close(code=1013)
        return
    await ws.send_text(json.dumps(hello(session)))
    session.start()
    sender = asyncio.create_task(_sender(ws, session, wake))
    code = 1000
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                code = None
                break
            try:
                msg = parse(message.get("text") if message.get("text") is not None
                                             else message.get("bytes"))
            except P.ProtocolError as err:
                session.send({"type": "error", "message": str(err)})
                continue
            if isinstance(msg, P.GotFrameMsg):
                session.got_frame()
            else:
                session.submit(msg)
    except Exception:                   # the connection broke, or a bug: end the session all the same
        log.debug("playground: websocket for %s ended", session.id, exc_info=True)
        code = 1011
    finally:
        sender.cancel()
        registry.remove(session)
        if code is not None:            # say goodbye with a close frame, never just drop it
            try:
                await ws.close(code=code)
            except Exception:  # noqa: BLE001 - already gone
                pass
        await asyncio.to_thread(session.close)


async def index(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def images_page(request):
    return FileResponse(STATIC / "images.html", headers={"Cache-Control": "no-cache"})


async def text_page(request):
    return FileResponse(STATIC / "text.html", headers={"Cache-Control": "no-cache"})


async def health(request):
    return JSONResponse({"ok": True, "sessions": len(request.app.state.registry)})


# -- DNS rebinding and browser hardening ------------------------------------------------------
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                                 b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without the port; IPv6 without brackets ("[::1]:80" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(host: str) -> frozenset:
    """The ``Host`` values a server bound to ``host`` answers: loopback names and ``host`` itself
    (for 0.0.0.0 or ::, also this machine's name and addresses)."""
    import socket
    names = set(LOOPBACK) | {host_name(host) if host.startswith("[") else host.lower()}
    if host in ("0.0.0.0", "::", ""):
        try:
            hostname = socket.gethostname()
            names |= {hostname.lower(), socket.getfqdn().lower()}
            names |= {info[4][0] for info in socket.getaddrinfo(hostname, None)}
        except OSError:
            pass
    return frozenset(names)


class Guard:
    """ASGI middleware: refuse a request whose ``Host`` is not one this server was bound for (DNS
    rebinding: a page on evil.example resolving to 127.0.0.1), and add the security headers."""

    def __init__(self, app, hosts: frozenset):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host_name(host) not in self.hosts:
            log.warning("playground: refused a request for Host %r (allowed: %s)", host, sorted(self.hosts))
            if scope["type"] == "websocket":
                await receive()                              # websocket.connect
                return await send({"type": "websocket.close", "code": 1008})
            body = b"this playground answers only for " + ", ".join(sorted(self.hosts)).encode() + b"\n"
            await send({"type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
            return await send({"type": "http.response.body", "body": body})

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message.get("headers", []), *SECURITY_HEADERS])
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def one_blas_thread() -> None:
    """One BLAS thread per process: each session trains on a thread of its own, and BLAS threads on
    top of them fight for the same cores (a tiny GPT's step took 18x longer with two BLAS threads
    on two busy cores than with one)."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 - threadpoolctl comes with scikit-learn; without it, BLAS's default
        log.debug("playground: could not limit BLAS threads", exc_info=True)


def create_app(max_sessions: int = 64, fps: float = 30.0, max_per_client: int = 32,
               host: str = "127.0.0.1") -> Starlette:
    """The Starlette app (``app.state.registry`` holds the live sessions); it answers only requests
    whose ``Host`` is one ``host`` stands for (see :func:`allowed_hosts`)."""
    app = Starlette(routes=[
        Route("/", index),
        Route("/images", images_page),
        Route("/text", text_page),
        Route("/api/health", health),
        WebSocketRoute("/ws", websocket_endpoint),
        WebSocketRoute("/ws/images", images_endpoint),
        WebSocketRoute("/ws/text", text_endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.add_middleware(Guard, hosts=allowed_hosts(host))
    import glassnet.data.datasets  # noqa: F401 - imported now (scikit-learn, SciPy: seconds), not by the first tab
    from .images import digits_split
    digits_split()                 # the Images page's digits, loaded once per process
    from .text import default_text
    default_text()                 # the Text page's default text, written once per process
    one_blas_thread()
    app.state.registry = Registry(max_sessions=max_sessions, fps=fps, max_per_client=max_per_client)
    return app


def short_gil_turns() -> None:
    """Sessions compute on threads of one process: hand the GIL round every 1 ms (not 5 ms) so the
    event loop, which carries every tab's frames and controls, never waits long for it.  (Each
    process sets it: ``--workers`` starts its processes fresh, they do not inherit it.)"""
    import sys
    sys.setswitchinterval(0.001)


def app_from_env() -> Starlette:
    """The app for each worker process of ``serve(workers=N)`` (options come in the environment)."""
    import os
    short_gil_turns()
    return create_app(max_sessions=int(os.environ.get("GLASSNET_PLAYGROUND_MAX_SESSIONS", "64")),
                      max_per_client=int(os.environ.get("GLASSNET_PLAYGROUND_MAX_PER_CLIENT", "32")),
                      host=os.environ.get("GLASSNET_PLAYGROUND_HOST", "127.0.0.1"))


def _config(app, host: str, port: int, log_level: str = "warning", **more):
    """uvicorn's settings.  No permessage-deflate: a frame is mostly float32 arrays, which zlib hardly
    shrinks, and compressing them took a third of the event loop's time in a 15-tab crowd."""
    import uvicorn
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, ws_max_size=WS_MAX_SIZE,
                          ws_per_message_deflate=False, lifespan="off", **more)


class ServeError(Exception):
    """The playground could not start (e.g. the port is taken); ``str()`` says what to do."""


def bind(host: str, port: int):
    """A listening socket on (host, port), or :class:`ServeError` naming ``--port``/``--host``."""
    import errno
    import socket
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use (another playground or server?); "
                             f"pick a free one with --port, e.g. --port {port + 1}") from None
        if err.errno in (errno.EACCES, errno.EPERM):
            raise ServeError(f"no permission to listen on port {port}; use --port 1024 or higher") from None
        raise ServeError(f"cannot listen on {host}:{port} ({err.strerror}); check --host and --port") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False, workers: int = 1) -> None:
    """Run the playground until interrupted (binds to 127.0.0.1 unless told otherwise).

    ``workers`` > 1 runs that many processes on the one port; each tab's session lives in the
    process that accepted its WebSocket, so tabs spread over the CPUs (the session limits, 64
    and 32 per client address, then hold per process).  Raises
    :class:`ServeError` (one sentence) if the port cannot be had.
    """
    import os
    import sys

    import uvicorn
    if workers < 1:
        raise ServeError(f"--workers must be at least 1; got {workers}")
    sock = bind(host, port)
    short_gil_turns()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"glassnet playground: {url}  (images: {url}images, text: {url}text; {workers} worker process{'es' if workers > 1 else ''}; "
          f"Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    if workers == 1:
        uvicorn.Server(_config(create_app(host=host), host, port, log_level="info")).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess
    os.environ["GLASSNET_PLAYGROUND_HOST"] = host
    config = _config("glassnet.playground.server:app_from_env", host, port, log_level="info",
                     factory=True, workers=workers)
    Multiprocess(config, sockets=[sock]).run()


class PlaygroundServer:
    """The playground on a background thread, on 127.0.0.1 and a free port (tests, benchmarks).

    >>> with PlaygroundServer() as srv:      # doctest: +SKIP
    ...     print(srv.url)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_options):
        import uvicorn
        app_options.setdefault("host", host)
        self.app = create_app(**app_options)
        self.server = uvicorn.Server(_config(self.app, host, port))
        self.server.install_signal_handlers = lambda: None   # uvicorn < 0.29
        self.thread = threading.Thread(target=self.server.run, name="playground-server", daemon=True)
        self.host = host

    @property
    def registry(self) -> Registry:
        return self.app.state.registry

    def start(self, timeout: float = 10.0) -> "PlaygroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the playground server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{self.port}/"
        self.ws_url = f"ws://{self.host}:{self.port}/ws"
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        for s in list(self.registry.sessions.values()):
            s.close()

    def __enter__(self) -> "PlaygroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
