"""Both wires keep one contract (harness/wire.py), over real sockets, against a hostile server.

The httpx wire (every command) runs here; the geventhttpclient wire (the load's Locust
processes) runs in a gevent-patched subprocess against the same server, and both answers are held
to the same expectations: bounded bodies, bounded gzip, timeouts on a silent or trickling target,
no redirect followed, every failure an error and never an exception, header text decoded alike.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.wire import HttpxWire, Transfer
from tests.harness.hostile import RawSocketServer
from tests.live import serve

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1024 * 1024
WAIT = 0.4
BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB on the wire, 20 MB unpacked


class ContractServer(RawSocketServer):
    """Answers by path; keeps a connection alive across requests."""

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            for method, target, body in self.requests_on(conn):
                if not self._answer(conn, method, target, body):
                    return
        except OSError:
            return
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, method: str, target: str, body: bytes) -> bool:
        """Answer one request; ``False`` ends the connection."""
        path = target.partition("?")[0]
        if path == "/ok":
            data = json.dumps({"method": method, "target": target, "length": len(body)}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nX-Name: caf\xc3\xa9\r\n"
                         b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data)
            return True
        if path == "/eof":  # no length, no chunks: the body ends when the connection does
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b'{"until": "close"}')
            return False
        if path == "/redirect":
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n")
            return True
        if path == "/big":  # 50 MB announced, sent until the client stops reading
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 52428800\r\n\r\n")
            for _ in range(50):
                conn.sendall(b"x" * (1024 * 1024))
            return False
        if path == "/bomb":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
                         + str(len(BOMB)).encode() + b"\r\n\r\n" + BOMB)
            return True
        if path == "/hang":
            self._stop.wait(10)
            return False
        if path == "/trickle":  # a byte every 50 ms: no single read ever waits for the timeout
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(1000):
                if self._stop.wait(0.05):
                    break
                conn.sendall(b"x")
            return False
        if path == "/reset":  # RST before any answer
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        return False  # /close: closed before any answer


#: (name, method, path, body)
CASES = [
    ("get", "GET", "/ok?filter=userName%20eq%20%22a%22", None),
    ("post", "POST", "/ok", b'{"userName":"caf\xc3\xa9"}'),
    ("eof", "GET", "/eof", None),
    ("redirect", "GET", "/redirect", None),
    ("big", "GET", "/big", None),
    ("bomb", "GET", "/bomb", None),
    ("hang", "GET", "/hang", None),
    ("trickle", "GET", "/trickle", None),
    ("reset", "POST", "/reset", b"{}"),
    ("close", "PATCH", "/close", b"{}"),
    ("refused", "GET", None, None),
]

GEVENT_SIDE = """
from gevent import monkey; monkey.patch_all()
import base64, json, sys
from mock_idp.load.gevent_wire import GeventWire
cases, wait, limit, insecure = json.loads(sys.argv[1])
wire = GeventWire(insecure=insecure)
out = []
for method, url, body in cases:
    t = wire.transfer(method, url, [("User-Agent", "contract"), ("Content-Type", "application/scim+json")],
                      body.encode() if body is not None else None, wait, limit)
    out.append({**t._asdict(), "body": base64.b64encode(t.body).decode()})
wire.close()
print(json.dumps(out))
"""


def _refused_url() -> str:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    return f"http://127.0.0.1:{port}/"


def _requests(base: str) -> list[tuple[str, str, bytes | None]]:
    refused = _refused_url()
    return [(method, base + path if path else refused, body) for _, method, path, body in CASES]


def _httpx_side(requests: list[tuple[str, str, bytes | None]], insecure: bool = False) -> list[Transfer]:
    wire = HttpxWire(insecure=insecure)
    try:
        return [wire.transfer(method, url, [("User-Agent", "contract"), ("Content-Type", "application/scim+json")],
                              body, WAIT, LIMIT) for method, url, body in requests]
    finally:
        wire.close()


def _gevent_side(requests: list[tuple[str, str, bytes | None]], insecure: bool = False) -> list[Transfer]:
    cases = [(m, u, b.decode() if b is not None else None) for m, u, b in requests]
    done = subprocess.run([sys.executable, "-c", GEVENT_SIDE, json.dumps([cases, WAIT, LIMIT, insecure])], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    raw: list[dict[str, Any]] = json.loads(done.stdout)
    return [Transfer(**{**t, "body": base64.b64decode(t["body"]), "headers": [tuple(h) for h in t["headers"]]})
            for t in raw]


@pytest.mark.parametrize("side", ["httpx", "gevent"])
def test_each_wire_keeps_the_contract(side: str) -> None:
    with ContractServer() as server:
        requests = _requests(server.url)
        started = time.monotonic()
        answers = dict(zip([c[0] for c in CASES], (_httpx_side if side == "httpx" else _gevent_side)(requests)))
        took = time.monotonic() - started
    get, post = answers["get"], answers["post"]
    assert (get.status, get.error, get.too_large) == (200, None, False)
    assert json.loads(get.body) == {"method": "GET", "target": "/ok?filter=userName%20eq%20%22a%22", "length": 0}
    assert dict(get.headers)["x-name"] == "café"  # names lower-cased, UTF-8 text decoded, as httpx gives them
    assert json.loads(post.body)["length"] == len(b'{"userName":"caf\xc3\xa9"}')
    assert (answers["eof"].status, answers["eof"].body) == (200, b'{"until": "close"}')
    assert (answers["redirect"].status, answers["redirect"].body) == (302, b"")  # not followed
    big = answers["big"]
    assert (big.status, big.too_large, len(big.body)) == (200, True, LIMIT)
    bomb = answers["bomb"]
    assert (bomb.status, len(bomb.body)) == (200, LIMIT)  # unpacked only up to the bound
    for name in ("hang", "trickle"):
        assert answers[name].status is None and (answers[name].error or "").startswith(f"timeout after {WAIT:g}s")
    assert answers["trickle"].elapsed_ms < WAIT * 3 * 1000 + 1500  # stopped, though every read got a byte
    for name in ("reset", "close", "refused"):
        assert answers[name].status is None and answers[name].error, (name, answers[name])
    assert "ConnectError" in (answers["refused"].error or "")
    assert took < 30  # every case bounded


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed (a vendor's staging endpoint)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp / "cert.pem", tmp / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})


@pytest.mark.parametrize("side", ["httpx", "gevent"])
def test_each_wire_refuses_a_certificate_no_one_signed_unless_told_insecure(side: str, tmp_path: Path) -> None:
    certfile, keyfile = _self_signed(tmp_path)
    send = _httpx_side if side == "httpx" else _gevent_side
    with serve(_hello, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as url:
        https = [("GET", url.replace("http://", "https://") + "/Users", None)]
        verified, = send(https)
        insecure, = send(https, insecure=True)
    assert verified.status is None and "CERTIFICATE_VERIFY_FAILED" in (verified.error or ""), verified
    assert (insecure.status, insecure.body, insecure.error) == (200, b"{}", None)
