"""The playground's web server: one page, one WebSocket, one training session per tab.

``serve()`` runs it (``glassnet playground`` calls it); :class:`PlaygroundServer` runs it on a
background thread (tests and benchmarks).  Everything the page needs is served from
``static/``: no build step, nothing fetched from elsewhere.

Routes
    ``GET /``            the page
    ``GET /static/...``  app.js, style.css
    ``GET /api/health``  {"ok": true, "sessions": n}
    ``WS  /ws``          the session (see ``protocol.py`` and ``session.py`` for the messages)
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
    """The live sessions, bounded in number."""

    def __init__(self, max_sessions: int = 64, fps: float = 30.0):
        self.max_sessions = max_sessions
        self.fps = fps
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.sessions)

    def add(self, session: Session) -> bool:
        with self.lock:
            if len(self.sessions) >= self.max_sessions:
                return False
            self.sessions[session.id] = session
            return True

    def training(self) -> int:
        """How many sessions are training now."""
        return sum(1 for s in list(self.sessions.values()) if s.playing)

    def remove(self, session: Session) -> None:
        with self.lock:
            self.sessions.pop(session.id, None)


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
        for text in session.take():
            await ws.send_text(text)


async def websocket_endpoint(ws: WebSocket) -> None:
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

    session = Session(notify=notify, fps=registry.fps, crowd=registry.training)
    if not registry.add(session):
        await ws.send_text(json.dumps({"type": "error", "message": f"the playground already runs "
                                       f"{registry.max_sessions} sessions; close a tab and reload"}))
        await ws.close(code=1013)
        return
    await ws.send_text(json.dumps(_hello(session)))
    session.start()
    sender = asyncio.create_task(_sender(ws, session, wake))
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            try:
                msg = P.parse_client_message(message.get("text") if message.get("text") is not None
                                             else message.get("bytes"))
            except P.ProtocolError as err:
                session.send({"type": "error", "message": str(err)})
                continue
            if isinstance(msg, P.GotFrameMsg):
                session.got_frame()
            else:
                session.submit(msg)
    except Exception:                   # the connection broke: end the session all the same
        log.debug("playground: websocket for %s ended", session.id, exc_info=True)
    finally:
        sender.cancel()
        registry.remove(session)
        await asyncio.to_thread(session.close)


async def index(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def health(request):
    return JSONResponse({"ok": True, "sessions": len(request.app.state.registry)})


def create_app(max_sessions: int = 64, fps: float = 30.0) -> Starlette:
    """The Starlette app (``app.state.registry`` holds the live sessions)."""
    app = Starlette(routes=[
        Route("/", index),
        Route("/api/health", health),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.registry = Registry(max_sessions=max_sessions, fps=fps)
    return app


def _config(app, host: str, port: int, log_level: str = "warning"):
    import uvicorn
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, ws_max_size=WS_MAX_SIZE,
                          lifespan="off")


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> None:
    """Run the playground until interrupted (binds to 127.0.0.1 unless told otherwise)."""
    import sys

    import uvicorn
    # Sessions train on threads of this one process: hand the GIL round every 1 ms (not 5 ms) so
    # the event loop, which carries every tab's frames and controls, never waits long for it.
    sys.setswitchinterval(0.001)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"glassnet playground: {url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.Server(_config(create_app(), host, port, log_level="info")).run()


class PlaygroundServer:
    """The playground on a background thread, on 127.0.0.1 and a free port (tests, benchmarks).

    >>> with PlaygroundServer() as srv:      # doctest: +SKIP
    ...     print(srv.url)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_options):
        import uvicorn
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
