"""The request recorder and GET /_recordings."""

from __future__ import annotations

from tests.server.helpers import TOKEN, USER, client


def test_every_exchange_recorded_redacted_and_bounded():
    c = client(record_body_bytes=300)
    c.post("/Users", json={"schemas": [USER], "userName": "r", "password": "Pa55-secret-word"},
           headers={"Cookie": "session=abc123"})
    c.get("/Users?filter=userName%20eq%20%22r%22", headers={"Authorization": "Bearer wrong-token-zzz"})
    c.post("/Users", json={"schemas": [USER], "userName": "big", "title": "x" * 1000})
    recs = c.get("/_recordings").json()["Resources"]
    assert [(r["method"], r["path"], r["status"]) for r in recs] == [("POST", "/Users", 201), ("GET", "/Users", 401),
                                                                      ("POST", "/Users", 201)]
    text = str(recs)
    for secret in (TOKEN, "wrong-token-zzz", "Pa55-secret-word", "abc123"):
        assert secret not in text
    headers = dict(recs[0]["request_headers"])
    assert headers["authorization"] == "Bearer [REDACTED]" and headers["cookie"] == "[REDACTED]"
    assert '"password": "[REDACTED]"' in recs[0]["request_body"]
    assert recs[1]["query"] == "filter=userName%20eq%20%22r%22" and recs[1]["duration_ms"] >= 0
    assert recs[2]["truncated"] is True and len(recs[2]["request_body"].encode()) <= 300
    one = c.get(f"/_recordings/{recs[0]['id']}").json()
    assert one["id"] == recs[0]["id"]
    assert c.get("/_recordings/999999").status_code == 404


def test_recordings_need_the_token():
    c = client()
    assert c.get("/_recordings", headers={"Authorization": ""}).status_code == 401


def test_recording_can_be_switched_off():
    c = client(record=False)
    c.get("/Users")
    assert c.scim.store.recordings() == []


def test_query_credentials_redacted_and_flush_survives_closed_loops():
    c = client()
    c.get("/Users?access_token=leaky-secret&count=1")
    c.get("/Users")
    c.scim.recorder.record(at="t", method="GET", path="/x", query="", status=200, duration_ms=1, request_headers=[],
                           request_body=b"", response_headers=[], response_body=b"")  # no running loop: flushed now
    recs = c.scim.store.recordings()
    assert len(recs) == 3 and recs[0]["query"] == "access_token=[REDACTED]&count=1"
