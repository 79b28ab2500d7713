"""docs/curl-tour.md cannot rot: every request on that page is replayed against a fresh server.

The page is the source of truth.  Its ```sh blocks are read with a small shell reader (quotes,
``$VAR`` expansion, ``NAME=$(curl ... | jq -r PATH)`` captures), each ``curl`` command becomes the
same HTTP request sent with httpx over a real socket, and each answer is compared with the ```http
or ```text block printed after it: status line, headers (except date/server/content-length) and
the JSON body, after ids and timestamps are replaced by placeholders (ids in order of first
appearance, so "the same id as before" is still checked).  The recordings step runs the real
``recordings list`` command on the server's database.

A deliberate change of the server's answers means the page must be refreshed.  That is done with
real curl and jq (both needed on PATH):  ``.venv/bin/python -m tests.server.test_curl_tour``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from click.testing import CliRunner

from reference_server.app import create_app
from reference_server.commands import recordings
from reference_server.settings import ServerSettings
from tests.live import serve

DOC = Path(__file__).resolve().parents[2] / "docs" / "curl-tour.md"
DOC_BASE = "http://127.0.0.1:8080"
IGNORED_HEADERS = frozenset({"date", "server", "content-length"})
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


class TourError(ValueError):
    """The page uses shell or curl syntax this reader does not understand (so it cannot be checked)."""


# --- the page ------------------------------------------------------------------------------------

@dataclass
class Step:
    """Shell commands and the output block printed after them (None: commands with no output)."""

    commands: list[str] = field(default_factory=list)
    kind: str | None = None  # "http" | "text"
    expected: str | None = None
    number: int = 0
    heading: str = ""


def split_commands(block: str) -> list[str]:
    """Command strings of a sh block: split at unquoted newlines, continuation lines joined,
    comments dropped (a newline inside quotes or ``$(...)`` belongs to the command)."""
    out, cur, quote_ch, depth, i = [], "", "", 0, 0
    while i < len(block):
        ch = block[i]
        if quote_ch:
            quote_ch = "" if ch == quote_ch else quote_ch
        elif ch in "'\"":
            quote_ch = ch
        elif ch == "\\" and block[i + 1:i + 2] == "\n":
            i += 2
            continue
        elif block.startswith("$(", i):
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "#" and depth == 0 and (not cur or cur[-1] in " \t\n"):
            i = block.find("\n", i) if "\n" in block[i:] else len(block)
            continue
        elif ch == "\n" and depth == 0:
            out.append(cur)
            cur, i = "", i + 1
            continue
        cur += ch
        i += 1
    if quote_ch or depth:
        raise TourError(f"unclosed quote or $( in: {block[:80]!r}")
    return [c.strip() for c in out + [cur] if c.strip()]


def parse_doc(text: str) -> list[Step]:
    """Steps in page order; an ```http / ```text block closes the step its sh blocks opened."""
    steps, cur = [], Step()
    for m in FENCE.finditer(text):
        lang, body = m.groups()
        headings = re.findall(r"^## (.+)$", text[:m.start()], re.M)
        cur.heading = cur.heading or (headings[-1] if headings else "")
        if lang == "sh":
            cur.commands += split_commands(body)
        elif lang in ("http", "text"):
            cur.kind, cur.expected = lang, body
            steps.append(cur)
            cur = Step()
        else:
            raise TourError(f"unexpected code block language {lang!r}")
    if cur.commands:
        steps.append(cur)
    for n, step in enumerate(steps, 1):
        step.number = n
    return steps


# --- a small shell reader --------------------------------------------------------------------------

class Op(str):
    """An unquoted shell operator (``|``), distinct from a quoted "|" word."""


def _expand(text: str, env: dict[str, str]) -> str:
    def var(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in env:
            raise TourError(f"${name} is used before it is set")
        return env[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, text)


def shell_words(line: str, env: dict[str, str]) -> list[str]:
    """Words of one command as POSIX sh would pass them (no globbing, no word splitting of $VAR)."""
    words: list[str] = []
    cur: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if ch in " \t\n":
            if cur is not None:
                words.append(cur)
            cur, i = None, i + 1
        elif ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise TourError("unclosed single quote")
            cur, i = (cur or "") + line[i + 1:end], end + 1
        elif ch == '"':
            j, part = i + 1, ""
            while j < len(line) and line[j] != '"':
                if line[j] == "\\" and line[j + 1:j + 2] in ('"', "\\", "$", "`"):
                    part, j = part + line[j + 1], j + 2  # an escaped character is literal
                elif line[j] == "$":
                    m = re.match(r"\$\{\w+\}|\$\w+", line[j:])
                    if not m:
                        raise TourError(f"bare $ in {line[:60]!r}")
                    part, j = part + _expand(m.group(0), env), j + len(m.group(0))
                else:
                    part, j = part + line[j], j + 1
            if j >= len(line):
                raise TourError("unclosed double quote")
            cur, i = (cur or "") + part, j + 1
        elif ch == "\\":
            cur, i = (cur or "") + line[i + 1:i + 2], i + 2
        elif ch == "$":
            if line.startswith("$(", i):
                raise TourError("$(...) is only read as the value of an assignment")
            m = re.match(r"\$\{\w+\}|\$\w+", line[i:])
            if not m:
                raise TourError(f"bare $ in {line[:60]!r}")
            cur, i = (cur or "") + _expand(m.group(0), env), i + len(m.group(0))
        elif ch in "|&;<>`":
            if cur is not None:
                words.append(cur)
            words.append(Op(ch))
            cur, i = None, i + 1
        else:
            cur, i = (cur or "") + ch, i + 1
    if cur is not None:
        words.append(cur)
    return words


@dataclass
class CurlCall:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str | None
    include_headers: bool


def parse_curl(argv: list[str]) -> CurlCall:
    """The request curl sends for ``argv`` (the options this page uses; anything else is an error)."""
    method, url, include, get = None, None, False, False
    headers: list[tuple[str, str]] = []
    data: list[str] = []
    it = iter(argv[1:])
    for arg in it:
        if arg in ("-X", "--request"):
            method = next(it)
        elif arg in ("-H", "--header"):
            name, sep, value = next(it).partition(":")
            if not sep:
                raise TourError(f"bad header {name!r}")
            headers.append((name.strip(), value.strip()))
        elif arg in ("-d", "--data"):
            data.append(next(it))
        elif arg == "--data-urlencode":
            name, sep, content = next(it).partition("=")
            # curl form-encodes: a space becomes "+", "@" becomes %40
            data.append(f"{name}={quote_plus(content, safe='')}" if sep else quote_plus(name, safe=""))
        elif arg in ("-G", "--get"):
            get = True
        elif re.fullmatch(r"-[si]+", arg):
            include = include or "i" in arg
        elif arg.startswith("-"):
            raise TourError(f"curl option {arg} is not understood by the tour reader")
        elif url is None:
            url = arg
        else:
            raise TourError(f"second URL {arg!r}")
    if url is None:
        raise TourError("curl without a URL")
    body = "&".join(data) if data else None
    if get and body is not None:
        url, body = url + ("&" if "?" in url else "?") + body, None
    if body is not None and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))  # what curl sends
    return CurlCall(method or ("POST" if body is not None else "GET"), url, headers, body, include)


def jq_raw(value: Any, expr: str) -> list[str]:
    """``jq -r EXPR`` for paths like ``.Resources[0].id`` and ``.Resources[].endpoint``."""
    parts = re.findall(r"\.(\w+)|\[(\d*)\]", expr)
    if "".join(f".{n}" if n else f"[{i}]" for n, i in parts) != expr or not parts:
        raise TourError(f"jq expression {expr!r} is not a plain path")
    values = [value]
    for name, index in parts:
        if name:
            values = [v.get(name) if isinstance(v, dict) else None for v in values]
        elif index == "":
            values = [x for v in values for x in v]
        else:
            values = [v[int(index)] if isinstance(v, list) and int(index) < len(v) else None for v in values]
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


# --- comparing answers ---------------------------------------------------------------------------

class Normalizer:
    """Base URL -> the page's, timestamps -> <time>, ids -> <idN> by order of first appearance."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ids: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        text = TIMESTAMP.sub("<time>", text.replace(self.base, DOC_BASE))
        return UUID.sub(lambda m: self.ids.setdefault(m.group(0), f"<id{len(self.ids) + 1}>"), text)


def split_http(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """(status line, headers, body) of a printed ``curl -si`` answer."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    status, *lines = head.strip("\n").split("\n")
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (ln.partition(":") for ln in lines)]
    return status.strip(), headers, body.strip()


def compare_http(expected: str, resp: httpx.Response, doc: Normalizer, real: Normalizer) -> list[str]:
    """Differences between the printed answer and ``resp`` (empty when they agree)."""
    status, doc_headers, doc_body = split_http(expected)
    problems = []
    got_status = f"HTTP/1.1 {resp.status_code} {resp.reason_phrase}"
    if status != got_status:
        problems.append(f"status: page says {status!r}, server said {got_status!r}")
    want = {n: doc(v) for n, v in doc_headers if n not in IGNORED_HEADERS}
    got_raw = {n.lower(): v for n, v in resp.headers.items() if n.lower() not in IGNORED_HEADERS}
    got = {n: real(got_raw[n]) for n in [*want, *got_raw] if n in got_raw}  # page order first
    if want != got:
        problems.append(f"headers: page {want}, server {got}")
    doc_json = json.loads(doc(doc_body)) if doc_body else None
    real_json = json.loads(real(resp.text)) if resp.content else None
    if doc_json != real_json:
        problems.append(f"body: page {json.dumps(doc_json)[:600]}\n      server {json.dumps(real_json)[:600]}")
    return problems


def compare_recordings(expected: str, output: str, doc: Normalizer, real: Normalizer) -> list[str]:
    """``recordings list`` lines agree in id, method, path and status (time and duration vary)."""
    want = [doc(ln).split() for ln in expected.strip().splitlines()]
    got = [real(ln).split() for ln in output.strip().splitlines()]

    def key(rows: list[list[str]]) -> list[tuple[str, ...]]:  # a title line is compared whole
        return [(r[0], *r[2:5]) if r[0].isdigit() else tuple(r) for r in rows]
    malformed = [r for r in got if r[0].isdigit() and (len(r) != 7 or r[6] != "ms")]
    if len(want) != len(got) or key(want) != key(got) or malformed:
        return [f"recordings: page {key(want)}, command {key(got)}"]
    return []


# --- replaying the page ----------------------------------------------------------------------------

@dataclass
class ServeLine:
    db: str
    port: int
    token: str


def serve_line(steps: list[Step]) -> ServeLine:
    lines = [c for s in steps for c in s.commands if c.startswith("scim-harness serve")]
    if len(lines) != 1:
        raise TourError("the page must start the server once with `scim-harness serve`")
    opts = dict(re.findall(r"--(db|port|token) (\S+)", lines[0]))
    if set(opts) != {"db", "port", "token"} or len(lines[0].split()) != 8:
        raise TourError(f"serve line must be `scim-harness serve --db F --port N --token T`: {lines[0]!r}")
    return ServeLine(opts["db"], int(opts["port"]), opts["token"])


Deferred = list[tuple[Step, list[str]]]


def split_pipe(words: list[str], where: str) -> tuple[list[str], str | None]:
    """(curl argv, jq path) of ``curl ... | jq -r PATH``, or (argv, None) without a pipe."""
    ops = [i for i, w in enumerate(words) if isinstance(w, Op)]
    if not ops:
        return words, None
    if len(ops) != 1 or words[ops[0]] != "|" or words[ops[0] + 1:-1] != ["jq", "-r"]:
        raise TourError(f"{where}: only `curl ... | jq -r PATH` is understood")
    return words[:ops[0]], words[-1]


def replay(steps: list[Step], base: str, db_file: str) -> tuple[list[str], Deferred, Normalizer, Normalizer]:
    """Run every request of the page against ``base``.

    Returns (problems, the CLI steps to run once the server has stopped, and the page's and the
    server's normalizers, which know the ids seen so far)."""
    doc, real, env = Normalizer(DOC_BASE), Normalizer(base), {}
    problems, deferred = [], []
    with httpx.Client(timeout=10) as http:
        def send(argv: list[str]) -> tuple[CurlCall, httpx.Response]:
            call = parse_curl(argv)
            return call, http.request(call.method, call.url.replace(DOC_BASE, base), headers=call.headers,
                                      content=call.body.encode() if call.body is not None else None)

        for step in steps:
            shown = []
            for command in step.commands:
                assign = re.fullmatch(r"(\w+)=(.*)", command, re.S)
                if assign and assign.group(2).startswith("$(") and assign.group(2).endswith(")"):
                    argv, path = split_pipe(shell_words(assign.group(2)[2:-1], env), command)
                    if argv[:1] != ["curl"] or path is None:
                        raise TourError(f"a capture must be `$(curl ... | jq -r PATH)`: {command!r}")
                    env[assign.group(1)] = "\n".join(jq_raw(send(argv)[1].json(), path))
                elif assign:
                    value = shell_words(assign.group(2), env)
                    if len(value) != 1 or isinstance(value[0], Op):
                        raise TourError(f"an assignment takes one word: {command!r}")
                    env[assign.group(1)] = value[0]
                elif command.startswith(("rm -f ", "scim-harness serve")):
                    continue  # the test server is fresh and started by the test
                else:
                    shown.append(shell_words(command, env))
            if (len(shown) == 1) != (step.expected is not None):
                raise TourError(f"step {step.number}: one shown command per output block, got {len(shown)}")
            if not shown:
                continue
            where = f"block {step.number} of '{step.heading}' ({' '.join(shown[0])[:90]})"
            argv, path = split_pipe(shown[0], where)
            if argv[:3] == ["scim-harness", "recordings", "list"] and path is None:
                deferred.append((step, [a.replace(serve_line(steps).db, db_file) for a in argv[2:]]))
            elif argv[0] == "curl" and path is not None:
                lines = [doc(ln) for ln in step.expected.strip().splitlines()]
                got = [real(ln) for ln in jq_raw(send(argv)[1].json(), path)]
                if lines != got:
                    problems.append(f"{where}: page {lines}, server {got}")
            elif argv[0] == "curl" and step.kind == "http":
                call, resp = send(argv)
                if not call.include_headers:
                    raise TourError(f"{where}: an http block needs `curl -si`")
                problems += [f"{where}: {p}" for p in compare_http(step.expected, resp, doc, real)]
            else:
                raise TourError(f"{where}: command not understood by the tour reader")
    return problems, deferred, doc, real


def test_the_page_is_readable() -> None:
    steps = parse_doc(DOC.read_text(encoding="utf-8"))
    line = serve_line(steps)
    base = next(c for s in steps for c in s.commands if c.startswith("BASE="))
    assert base == f"BASE=http://127.0.0.1:{line.port}" == f"BASE={DOC_BASE}"
    assert sum(s.kind == "http" for s in steps) >= 18 and all(s.expected.strip() for s in steps if s.kind)


def test_curl_tour_replays_over_a_socket(tmp_path: Path) -> None:
    """Every request of docs/curl-tour.md, against a fresh server on a real socket, answers as printed."""
    steps = parse_doc(DOC.read_text(encoding="utf-8"))
    line = serve_line(steps)
    db_file = str(tmp_path / "x.db")
    app = create_app(ServerSettings(db=db_file, tokens=(line.token,)))
    try:
        with serve(app) as base:
            problems, deferred, doc, real = replay(steps, base, db_file)
    finally:
        app.close()  # writes the buffered recordings
    assert deferred, "the page shows `scim-harness recordings list`"
    for step, args in deferred:
        result = CliRunner().invoke(recordings, args)
        assert result.exit_code == 0, result.output
        problems += [f"step {step.number}: {p}" for p in compare_recordings(step.expected, result.output, doc, real)]
    assert not problems, "docs/curl-tour.md no longer matches the server:\n" + "\n".join(problems)


# --- the reader itself (so a broken reader cannot pass a broken page) -----------------------------

def test_shell_words_quote_like_sh() -> None:
    env = {"ID": "a b", "T": "tok"}
    assert shell_words("""curl -d '{"v":"'"$ID"'","r":"$ID"}' -H "Authorization: Bearer $T" x\\ y""", env) == [
        "curl", "-d", '{"v":"a b","r":"$ID"}', "-H", "Authorization: Bearer tok", "x y"]
    assert shell_words('a "\\$T \\"q\\"" | jq', env) == ["a", '$T "q"', "|", "jq"]
    assert isinstance(shell_words("a | b", env)[1], Op) and not isinstance(shell_words("a '|'", env)[1], Op)
    with pytest.raises(TourError):
        shell_words("echo $NOPE", env)
    assert split_pipe(shell_words("curl -s x | jq -r .a", env), "") == (["curl", "-s", "x"], ".a")
    with pytest.raises(TourError):
        split_pipe(shell_words("scim-harness serve &", env), "")
    assert split_commands("A=1 # note\ncurl -d '{\n}' \\\n  -s x\n# c\n") == ["A=1", "curl -d '{\n}'   -s x"]


def test_parse_curl_like_curl() -> None:
    call = parse_curl(["curl", "-si", "-G", "http://h/Users", "--data-urlencode", 'filter=userName eq "a@b"'])
    assert (call.method, call.url, call.body, call.include_headers) == (
        "GET", "http://h/Users?filter=userName+eq+%22a%40b%22", None, True)
    post = parse_curl(["curl", "-s", "http://h/x", "-d", "{}"])
    assert (post.method, post.body, post.headers) == ("POST", "{}", [
        ("Content-Type", "application/x-www-form-urlencoded")])
    with pytest.raises(TourError):
        parse_curl(["curl", "-k", "http://h"])
    assert jq_raw({"R": [{"id": "1"}, {"id": 2}]}, ".R[].id") == ["1", "2"]
    assert jq_raw({"R": []}, ".R[0].id") == ["null"]


def test_compare_http_catches_drift() -> None:
    page_id = "11111111-1111-1111-1111-111111111111"
    printed = (f'HTTP/1.1 201 Created\ncontent-type: application/json\netag: W/"1"\n'
               f'location: http://127.0.0.1:8080/Users/{page_id}\n\n'
               f'{{"id": "{page_id}", "meta": {{"created": "2026-01-01T00:00:00Z"}}}}')
    real_id = "22222222-2222-2222-2222-222222222222"

    def answer(status: int = 201, etag: str = 'W/"1"', body: Any = None) -> httpx.Response:
        body = body if body is not None else {"id": real_id, "meta": {"created": "2027-05-05T10:00:00.5Z"}}
        return httpx.Response(status, json=body, headers={"etag": etag, "location": f"http://h:1/Users/{real_id}"})

    def diff(resp: httpx.Response) -> list[str]:
        return compare_http(printed, resp, Normalizer(DOC_BASE), Normalizer("http://h:1"))
    assert diff(answer()) == []
    assert "status" in diff(answer(status=200))[0]
    assert "headers" in diff(answer(etag='W/"2"'))[0]
    assert "body" in diff(answer(body={"id": real_id, "meta": {}}))[0]
    same_twice = answer(body={"id": "33333333-3333-3333-3333-333333333333", "meta": {
        "created": "2027-05-05T10:00:00Z"}})  # Location names one id, the body another
    assert "body" in diff(same_twice)[0]
    page = "  1  t  GET  /Users  200  0.2 ms"
    assert compare_recordings(page, "  1  u  GET  /Users  200  9.9 ms", Normalizer(DOC_BASE), Normalizer("x")) == []
    assert compare_recordings(page, "  1  u  GET  /Users  401  0.1 ms", Normalizer(DOC_BASE), Normalizer("x"))
    titled = "  id  at  method path  status  duration\n" + page
    assert compare_recordings(titled, titled.replace("0.2", "3.0"), Normalizer(DOC_BASE), Normalizer("x")) == []
    assert compare_recordings(titled, page, Normalizer(DOC_BASE), Normalizer("x"))


# --- refreshing the page with real curl and jq ----------------------------------------------------

def _format_http(raw: str) -> str:
    status, headers, body = split_http(raw)
    lines = [status] + [f"{n}: {v}" for n, v in headers if n not in IGNORED_HEADERS]
    if body:
        lines += ["", json.dumps(json.loads(body), indent=2, ensure_ascii=False)]
    return "\n".join(lines) + "\n"


def regenerate(path: Path = DOC) -> None:
    """Run the page's commands with bash, curl and jq against a fresh server; rewrite its outputs."""
    text = path.read_text(encoding="utf-8")
    steps = parse_doc(text)
    line = serve_line(steps)
    with tempfile.TemporaryDirectory() as tmp:
        db_file = str(Path(tmp) / "x.db")
        app = create_app(ServerSettings(db=db_file, tokens=(line.token,)))
        with serve(app) as base:
            script = ["set -eu", f'export PATH="{Path(sys.executable).parent}:$PATH"']
            for step in steps:
                for command in step.commands:
                    if command.startswith(("rm -f ", "scim-harness serve")):
                        continue
                    if command.startswith("scim-harness recordings"):
                        script.append("sleep 1")  # the server writes recordings in batches
                    script.append(command.replace(DOC_BASE, base).replace(line.db, db_file))
                if step.expected is not None:
                    script.append("echo; echo @@@STEP@@@")
            done = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True,
                                  timeout=120, check=True)
        app.close()
    outputs = done.stdout.split("\n@@@STEP@@@\n")[:-1]
    shown = [s for s in steps if s.expected is not None]
    assert len(outputs) == len(shown), (len(outputs), len(shown), done.stderr)
    fills = iter(
        (_format_http(out) if s.kind == "http" else out.strip("\n") + "\n").replace(base, DOC_BASE).replace(
            db_file, line.db) for s, out in zip(shown, outputs))
    path.write_text(FENCE.sub(lambda m: f"```{m.group(1)}\n{next(fills)}```" if m.group(1) in ("http", "text")
                              else m.group(0), text), encoding="utf-8")


if __name__ == "__main__":
    regenerate()
    print(f"rewrote {DOC}")
