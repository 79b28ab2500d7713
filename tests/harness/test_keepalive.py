"""A keep-alive connection the target drops just as the harness reuses it (over a real socket).

A server may close an idle keep-alive connection at any moment; when its FIN crosses the
harness's next request, httpx reads end-of-stream before any response byte and raises
``RemoteProtocolError: Server disconnected without sending a response``. That is the wire, not
the target's answer: the harness sends the request once more on a fresh connection and records
that it did. Anything else (a fresh connection dropped, a reset, half an answer) stays an error.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from harness.har import build_har
from harness.http import Target, TargetClient
from tests.harness.hostile import RawSocketServer
from tests.replay.har_spec import validate

pytestmark = pytest.mark.socket

OK = b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []}'


class IdleClosingServer(RawSocketServer):
    """Raw HTTP/1.1 on 127.0.0.1 whose idle timeout expires exactly when a reused connection is used.

    The first request on a connection is answered (keep-alive: no ``Connection: close``); a later
    request on the same connection is read whole and the connection is closed with a FIN, no byte
    answered: to the client, exactly the keep-alive race. ``mode`` changes what happens:
    ``"idle-close"`` (the race), ``"always-close"`` (every connection closed unanswered, fresh ones
    too), ``"half-answer"`` (a reused connection gets the head of an answer and part of its body, then
    the close).
    """

    backlog = 16

    def __init__(self, mode: str = "idle-close") -> None:
        super().__init__("/scim/v2")
        self.mode = mode
        self.requests: list[tuple[str, str, bytes]] = []  # (method, path, body) of every request read
        self.dropped = 0

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        served = 0
        try:
            for method, target, body in self.requests_on(conn):
                self.requests.append((method, target, body))
                if self.mode == "always-close" or served:
                    self.dropped += 1
                    if self.mode == "half-answer":
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"sch")
                    conn.shutdown(socket.SHUT_WR)  # everything was read: a FIN, not a reset
                    return
                served += 1
                status = b"201 Created" if method == "POST" else b"200 OK"
                conn.sendall(b"HTTP/1.1 " + status + b"\r\ncontent-type: application/scim+json\r\ncontent-length: "
                             + str(len(OK)).encode() + b"\r\n\r\n" + OK)
        except OSError:
            return
        finally:
            conn.close()


@pytest.fixture
def client_for() -> Iterator[object]:
    made: list[TargetClient] = []

    def make(server: IdleClosingServer) -> TargetClient:
        client = TargetClient(Target(server.url, timeout=5))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_a_reused_connection_dropped_unanswered_is_sent_again_on_a_fresh_one(client_for) -> None:  # type: ignore[no-untyped-def]
    with IdleClosingServer() as server:
        client = client_for(server)
        first = client.get("/Users", params={"count": 1})
        second = client.get("/Users", params={"filter": 'userName eq "a"'})
    assert first.status == 200 and first.retried is None
    assert second.error is None and second.status == 200
    assert second.retried is not None and "Server disconnected without sending a response" in second.retried
    assert server.dropped == 1 and server.connections == 2  # one retry, on a new connection
    assert [r[1] for r in server.requests][1:] == ['/scim/v2/Users?filter=userName%20eq%20%22a%22'] * 2
    record = second.to_dict()
    assert record["retried"] == second.retried and record["error"] is None
    assert [ex.id for ex in client.recorder.exchanges] == [first.id, second.id]  # one exchange per request
    (entry,) = validate(build_har([second]))  # still HAR 1.2: custom fields start with "_"
    assert entry["_retried"] == second.retried


def test_a_write_is_sent_again_too_since_the_target_answered_nothing(client_for) -> None:  # type: ignore[no-untyped-def]
    with IdleClosingServer() as server:
        client = client_for(server)
        client.get("/Users", params={"count": 1})
        created = client.post("/Users", json={"userName": "kim"})
    assert created.status == 201 and created.retried is not None
    assert [r[0] for r in server.requests] == ["GET", "POST", "POST"]


def test_a_fresh_connection_dropped_unanswered_is_not_retried(client_for) -> None:  # type: ignore[no-untyped-def]
    with IdleClosingServer("always-close") as server:
        client = client_for(server)
        ex = client.get("/Users", params={"count": 1})
    assert ex.status is None and ex.retried is None
    assert ex.error is not None and "RemoteProtocolError" in ex.error
    assert len(server.requests) == 1


def test_a_drop_after_part_of_an_answer_is_not_retried(client_for) -> None:  # type: ignore[no-untyped-def]
    with IdleClosingServer("half-answer") as server:
        client = client_for(server)
        client.get("/Users", params={"count": 1})
        ex = client.get("/Users", params={"count": 2})
    assert ex.status is None and ex.retried is None and ex.error is not None
    assert len(server.requests) == 2 and server.connections == 1


def test_each_drop_costs_one_retry_and_a_new_connection(client_for) -> None:  # type: ignore[no-untyped-def]
    with IdleClosingServer() as server:
        client = client_for(server)
        for n in range(3):
            ex = client.get("/Users", params={"count": n + 1})
            assert ex.status == 200, ex.error
    assert server.dropped == 2 and server.connections == 3 and len(server.requests) == 5
