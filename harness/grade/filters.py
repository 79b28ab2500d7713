"""Is a filter well-formed by the ABNF of RFC 7644 §3.4.2.2?  (A validator, not an evaluator.)"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<lb>\[)|(?P<rb>\])|(?P<str>"(?:[^"\\]|\\.)*")'
                    r'|(?P<word>[A-Za-z0-9_$.:\-+]+))')
_COMPARE = {"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"}
_ATTR = re.compile(r"^(?:urn:[A-Za-z0-9:._-]+:)?[A-Za-z][\w$-]*(?:\.[A-Za-z][\w$-]*)?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


class _Bad(Exception):
    pass


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Bad(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        out.append(m.group(m.lastgroup or "word"))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t, self.i = tokens, 0

    def peek(self) -> str:
        return self.t[self.i] if self.i < len(self.t) else ""

    def take(self) -> str:
        tok = self.peek()
        if not tok:
            raise _Bad("the filter ends too early")
        self.i += 1
        return tok

    def filter(self, inside_brackets: bool = False) -> None:
        self.term(inside_brackets)
        while self.peek().lower() in ("and", "or"):
            self.take()
            self.term(inside_brackets)

    def term(self, inside_brackets: bool) -> None:
        tok = self.take()
        if tok.lower() == "not":
            if self.take() != "(":
                raise _Bad('"not" must be followed by "("')
            tok = "("
        if tok == "(":
            self.filter(inside_brackets)
            if self.take() != ")":
                raise _Bad("unbalanced parentheses")
            return
        if not _ATTR.match(tok):
            raise _Bad(f"{tok[:40]!r} is not an attribute path")
        if self.peek() == "[":
            if inside_brackets:
                raise _Bad("nested value filters")
            self.take()
            self.filter(inside_brackets=True)
            if self.take() != "]":
                raise _Bad("unbalanced brackets")
            if self.peek().startswith(".") and _ATTR.match(self.peek()[1:]):
                self.take()  # valuePath followed by a sub-attribute (PATCH paths only; lenient here)
            return
        op = self.take().lower()
        if op == "pr":
            return
        if op not in _COMPARE:
            raise _Bad(f"{op[:20]!r} is not a comparison operator")
        value = self.take()
        if value.startswith('"'):
            try:
                json.loads(value)
            except ValueError:
                raise _Bad(f"bad string literal {value[:40]}") from None
        elif value not in ("true", "false", "null") and not _NUMBER.match(value):
            raise _Bad(f"{value[:40]!r} is not a JSON value (strings need double quotes)")


def filter_problem(text: str) -> str | None:
    """Why ``text`` is not a valid SCIM filter, or None when it is."""
    try:
        parser = _Parser(_tokens(text))
        parser.filter()
        if parser.peek():
            raise _Bad(f"unexpected {parser.peek()[:20]!r} after the filter")
    except _Bad as exc:
        return str(exc)
    return None
