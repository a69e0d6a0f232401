"""``python -m glassnet.playground [--host 127.0.0.1] [--port 8000] [--open]`` (as ``glassnet playground``)."""
import argparse

from .server import serve


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m glassnet.playground",
                                     description="Serve the glassnet playground (one training session per tab).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, open_browser=args.open)


if __name__ == "__main__":
    main()
