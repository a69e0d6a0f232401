"""The glassnet playground: the TensorFlow Playground, trained server-side by glassnet.

Run it with ``glassnet playground`` or ``glassnet.playground.serve()``, then open
http://127.0.0.1:8000/.  Each browser tab gets its own session (a training thread) that
streams frames to the page over a WebSocket; see ``protocol.py`` for the messages.
"""
from .server import PlaygroundServer, create_app, serve

__all__ = ["serve", "create_app", "PlaygroundServer"]
