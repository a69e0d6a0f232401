"""``python -m glassnet.playground [--host 127.0.0.1] [--port 8000] [--workers N] [--open]`` (as ``glassnet playground``)."""
import argparse
import sys

from .server import ServeError, serve


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m glassnet.playground",
                                     description="Serve the glassnet playground (one training session per tab).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="processes serving tabs (default 1)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    args = parser.parse_args(argv)
    try:
        serve(host=args.host, port=args.port, open_browser=args.open, workers=args.workers)
    except ServeError as err:
        print(f"glassnet playground: error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
