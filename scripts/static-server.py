#!/usr/bin/env python3
"""A small static file server for the page and the browser tests.

Serves folders under URL prefixes (--mount PREFIX=DIR, longest prefix wins), with the right
MIME type for .wasm and ES modules, no caching of the app shell, optional CORS (the browser tests
fetch from another origin than the test runner's) and optional extra headers (the page's
Content-Security-Policy). Binds to 127.0.0.1 only: nothing here is meant to be reachable from
another machine.
"""
import argparse
import http.server
import mimetypes
import os
import posixpath
import sys
import urllib.parse

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/json", ".json")
mimetypes.add_type("application/octet-stream", ".safetensors")


def make_handler(mounts, cors, headers, suffix_headers, quiet):
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".wasm": "application/wasm", ".js": "text/javascript",
                          ".mjs": "text/javascript", ".json": "application/json"}

        def translate_path(self, path):
            path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
            for prefix, root in mounts:
                if path == prefix.rstrip("/") or path.startswith(prefix):
                    rest = path[len(prefix):] if path.startswith(prefix) else ""
                    parts = [p for p in posixpath.normpath("/" + rest).split("/") if p not in ("", ".", "..")]
                    return os.path.join(root, *parts)
            return os.path.join(mounts[-1][1], "__not_found__")

        def end_headers(self):
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
            for name, value in headers:
                self.send_header(name, value)
            path = urllib.parse.urlsplit(self.path).path
            if path.endswith("/"):
                path += "index.html"
            for suffix, (name, value) in suffix_headers:
                if path.endswith(suffix):
                    self.send_header(name, value)
            # Models are large and immutable per URL; the app shell must never be stale.
            if self.path.endswith((".safetensors",)):
                self.send_header("Cache-Control", "public, max-age=3600")
            else:
                self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--mount", action="append", required=True, help="PREFIX=DIR, e.g. /=www")
    ap.add_argument("--cors", action="store_true")
    ap.add_argument("--header", action="append", default=[], help="NAME: VALUE, on every response")
    ap.add_argument("--header-for", action="append", default=[], help="SUFFIX=NAME: VALUE, on paths ending in SUFFIX")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    mounts = []
    for m in args.mount:
        prefix, _, root = m.partition("=")
        if not prefix.endswith("/"):
            prefix += "/"
        if not os.path.isdir(root):
            sys.exit(f"static-server: {root} is not a folder")
        mounts.append((prefix, os.path.abspath(root)))
    mounts.sort(key=lambda m: len(m[0]), reverse=True)
    headers = [tuple(h.split(": ", 1)) for h in args.header]
    suffix_headers = []
    for h in args.header_for:
        suffix, _, header = h.partition("=")
        suffix_headers.append((suffix, tuple(header.split(": ", 1))))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(mounts, args.cors, headers, suffix_headers, args.quiet))
    print(f"static-server: http://127.0.0.1:{args.port}/ ({', '.join(p + ' -> ' + r for p, r in mounts)})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
