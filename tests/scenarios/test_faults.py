"""The fault library changes exactly what it says, and nothing else."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.scenarios import faults as f


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {"path": request.url.path, "query": request.url.query, "body": body.decode(), "ctype": request.headers.get("content-type")},
        status_code=201 if request.method == "POST" else 200,
        headers={"X-Keep": "1", "X-Drop": "1"},
    )


APP = Starlette(routes=[Route("/{rest:path}", echo, methods=["GET", "POST", "PUT"])])


def client(fault: f.Fault | None = None) -> TestClient:
    return TestClient(fault(APP) if fault else APP)


def test_untouched_requests_pass_through() -> None:
    r = client(f.set_status(500, "GET", r"/Other")).post("/Users?x=1", json={"a": 1})
    assert r.status_code == 201 and r.json()["query"] == "x=1" and r.json()["body"] == '{"a":1}'


def test_edit_json_rewrites_the_body_and_its_length() -> None:
    r = client(f.edit_json(f.set_key("path", "changed-and-longer"), "GET", f.USER)).get("/Users/1")
    assert r.json()["path"] == "changed-and-longer"
    assert int(r.headers["content-length"]) == len(r.content)


def test_status_and_headers() -> None:
    r = client(f.chain(f.set_status(418, "GET", when=200), f.drop_header("X-Drop"))).get("/Users")
    assert r.status_code == 418 and "x-drop" not in r.headers and r.headers["x-keep"] == "1"


def test_request_rewrites_and_short_circuit() -> None:
    def edit(body: Any) -> Any:
        return {**body, "added": True}

    r = client(f.chain(f.edit_request_json(edit, "POST", f.USERS), f.drop_query_param("attributes"))).post(
        "/Users?attributes=a&keep=1", json={"a": 1}
    )
    assert '"added": true' in r.json()["body"] and r.json()["query"] == "keep=1"
    r = client(f.answer(501, {"no": "me"}, method="GET", path=r"/Me")).get("/Me")
    assert r.status_code == 501 and r.json() == {"no": "me"}
