#!/usr/bin/env python3
"""Serves DIR over HTTPS on 127.0.0.1:PORT with a certificate nobody trusts.

Usage: tls_server.py DIR PORT CERT KEY

`python3 -m http.server` has no TLS; this is the same handler behind an ssl context, so an
installer pointed at it fails certificate verification exactly as against a real index with a
private CA.
"""
import functools
import http.server
import ssl
import sys


def main(directory: str, port: int, cert: str, key: str) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
