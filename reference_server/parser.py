"""The SCIM parser: attribute paths, filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2, §3.10).
Syntax only; what a filter means (evaluation, type checks, index hints) is ``filter_eval.py``.

* ``AttrPath`` is ``[URI ":"] ATTRNAME ["." subAttr]``.  Names keep the client's spelling; schema
  resolution (case-insensitive, longest URN prefix) is ``ResourceModel.resolve(path.text)``.
* ``parse_filter`` builds ``Compare``/``Present``/``And``/``Or``/``Not``/``ValuePath`` nodes with a
  bounded recursive-descent parser (length and nesting limits; InvalidFilter naming the position);
  the choices it makes are listed in the ``filter_eval`` module docstring.
* ``PatchPath`` is ``attrPath`` or ``valuePath ["." subAttr]`` where valuePath is
  ``attrPath "[" valFilter "]"`` (RFC 7644 §3.5.2 Figure 7).  JSON-Pointer forms (``/emails/0``)
  and index brackets (``emails[0]``) are rejected with InvalidPath.

Data helpers shared by filters, projection, validation and PATCH also live here: ``get_ci`` and
``key_ci`` find a key in a JSON object without regard to case (RFC 7643 §2.1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Union

from reference_server.errors import InvalidFilter, InvalidPath, ScimError

# ATTRNAME = ALPHA *(nameChar) (RFC 7643 §2.1); "$ref" is the one reserved exception.
_NAME = r"(?:\$ref|[A-Za-z][A-Za-z0-9_\-]*)"
_ATTR_RE = re.compile(rf"^(?:(?P<uri>urn:[^\s\[\]()\"]*):)?(?P<attr>{_NAME})(?:\.(?P<sub>{_NAME}))?$", re.IGNORECASE)
MAX_PATH_LENGTH = 2_000


@dataclass(frozen=True)
class AttrPath:
    """``[uri:]attr[.sub]`` as written by the client."""

    uri: str | None
    attr: str
    sub: str | None = None

    @property
    def text(self) -> str:
        """The full path, suitable for ``ResourceModel.resolve``."""
        head = f"{self.uri}:{self.attr}" if self.uri else self.attr
        return f"{head}.{self.sub}" if self.sub else head

    @property
    def top(self) -> str:
        """The path without its sub-attribute."""
        return f"{self.uri}:{self.attr}" if self.uri else self.attr

    def __str__(self) -> str:
        return self.text


def parse_attr_path(text: str, error: type[ScimError] = InvalidPath) -> AttrPath:
    """Parse ``[urn:...:]attr[.sub]``; raise ``error`` when the text is not an attribute path.

    A URN alone (an extension schema's id, as used by path-less PATCH values) is not an attribute
    path; callers that accept it check ``ResourceModel.schema(text)`` first.
    """
    m = _ATTR_RE.match(text)
    if m is None:
        raise error(f"invalid attribute path {text[:200]!r}")
    return AttrPath(m.group("uri"), m.group("attr"), m.group("sub"))


MAX_FILTER_LENGTH = 10_000
MAX_DEPTH = 50
COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # lower case, one of COMPARE_OPS
    value: Any  # str | bool | int | float | None


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    """All ``terms`` hold (n-ary, so long chains do not nest deeply)."""

    terms: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    """Some term holds."""

    terms: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    inner: Filter


@dataclass(frozen=True)
class ValuePath:
    """``attr[filter]``: true when one value of ``attr`` satisfies ``filter`` (paths relative to it)."""

    path: AttrPath
    filter: Filter


Filter = Union[Compare, Present, And, Or, Not, ValuePath]

# --- filter grammar (RFC 7644 §3.4.2.2): nodes, tokenizer, parser ----------------------------------

_TOKEN = re.compile(r"""\s*(?:(?P<punct>[()\[\]])|(?P<string>"(?:[^"\\]|\\.)*"?)|(?P<word>[^\s()\[\]"]+))""", re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class _Tok:
    kind: str  # punct | string | word
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        kind = m.lastgroup
        if kind is None:
            break
        toks.append(_Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise InvalidFilter("filter must be a string")
        if len(text) > MAX_FILTER_LENGTH:
            raise InvalidFilter(f"filter longer than {MAX_FILTER_LENGTH} characters")
        if not text.strip():
            raise InvalidFilter("empty filter")
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def fail(self, what: str, tok: _Tok | None = None) -> InvalidFilter:
        tok = tok if tok is not None else self.peek()
        where = f"at position {tok.pos}" if tok else "at end of filter"
        return InvalidFilter(f"{what} {where}")

    def expect_punct(self, ch: str) -> None:
        tok = self.peek()
        if tok is None or tok.kind != "punct" or tok.text != ch:
            raise self.fail(f"expected {ch!r}" + (f" but found {tok.text[:40]!r}" if tok else ""))
        self.i += 1

    def is_word(self, tok: _Tok | None, *words: str) -> bool:
        return tok is not None and tok.kind == "word" and tok.text.lower() in words

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"filter nested deeper than {MAX_DEPTH} levels")

    # grammar
    def parse(self, in_brackets: bool = False) -> Filter:
        node = self.or_expr(in_brackets)
        tok = self.peek()
        if tok is not None:
            raise self.fail(f"unexpected {tok.text[:40]!r}", tok)
        return node

    def or_expr(self, inner: bool) -> Filter:
        terms = [self.and_expr(inner)]
        while self.is_word(self.peek(), "or"):
            self.i += 1
            terms.append(self.and_expr(inner))
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def and_expr(self, inner: bool) -> Filter:
        terms = [self.unary(inner)]
        while self.is_word(self.peek(), "and"):
            self.i += 1
            terms.append(self.unary(inner))
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def unary(self, inner: bool) -> Filter:
        tok = self.peek()
        if tok is None:
            raise self.fail("expected an expression")
        if self.is_word(tok, "not") and (nxt := self.peek(1)) is not None and nxt.kind == "punct" and nxt.text == "(":
            self.i += 1
            self.enter()
            self.expect_punct("(")
            node: Filter = Not(self.or_expr(inner))
            self.expect_punct(")")
            self.depth -= 1
            return node
        if tok.kind == "punct" and tok.text == "(":
            self.i += 1
            self.enter()
            node = self.or_expr(inner)
            self.expect_punct(")")
            self.depth -= 1
            return node
        return self.attr_expr(inner)

    def attr_expr(self, inner: bool) -> Filter:
        tok = self.peek()
        assert tok is not None
        if tok.kind != "word":
            raise self.fail(f"expected an attribute path but found {tok.text[:40]!r}", tok)
        path = self.attr_path(tok)
        self.i += 1
        nxt = self.peek()
        if nxt is not None and nxt.kind == "punct" and nxt.text == "[":
            if inner:
                raise self.fail("value filters cannot be nested", nxt)
            if path.sub is not None:
                raise self.fail(f"a value filter needs a multi-valued attribute, not {path.text!r}", nxt)
            self.i += 1
            self.enter()
            cond = self.or_expr(True)
            self.expect_punct("]")
            self.depth -= 1
            after = self.peek()
            if after is not None and after.kind == "word" and after.text.startswith("."):
                # emails[type eq "work"].value eq "x"  ->  emails[type eq "work" and value eq "x"]
                sub = self.attr_path(after, after.text[1:])
                if sub.uri or sub.sub:
                    raise self.fail(f"invalid sub-attribute {after.text[:40]!r}", after)
                self.i += 1
                cond = And((cond, self.comparison(sub)))
            return ValuePath(path, cond)
        if inner and path.uri:
            raise self.fail("inside a value filter, name sub-attributes only", tok)
        return self.comparison(path)

    def comparison(self, path: AttrPath) -> Filter:
        op_tok = self.peek()
        if op_tok is None:
            raise self.fail(f"expected an operator after {path.text!r}")
        op = op_tok.text.lower()
        if op_tok.kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise self.fail(f"unknown operator {op_tok.text[:40]!r}", op_tok)
        self.i += 1
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.literal())

    def literal(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.fail("expected a value")
        self.i += 1
        if tok.kind == "string":
            try:
                value = json.loads(tok.text)
            except ValueError:
                raise self.fail("unterminated or invalid string", tok) from None
            return value
        if tok.kind == "word":
            low = tok.text.lower()
            if low in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[low]
            if _NUMBER.fullmatch(tok.text):
                return json.loads(tok.text)
            raise self.fail(f"value {tok.text[:40]!r} must be a JSON string, number, true, false or null", tok)
        raise self.fail(f"expected a value but found {tok.text!r}", tok)

    def attr_path(self, tok: _Tok, text: str | None = None) -> AttrPath:
        try:
            return parse_attr_path(text if text is not None else tok.text, InvalidFilter)
        except InvalidFilter:
            raise self.fail(f"invalid attribute path {tok.text[:60]!r}", tok) from None


def parse_filter(text: str) -> Filter:
    """Parse a filter expression; any problem raises InvalidFilter naming the position."""
    return _Parser(text).parse()


def parse_value_filter(text: str) -> Filter:
    """Parse the ``valFilter`` inside ``attr[...]`` (sub-attribute names only)."""
    return _Parser(text).parse(in_brackets=True)


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: ``attr`` (may carry a sub-attribute when there is no filter), or
    ``attr[filter]`` optionally followed by ``.sub``.  ``urn_only`` is set for a bare schema URN."""

    attr: AttrPath | None
    filter: Filter | None = None
    sub: str | None = None
    urn_only: str | None = None


def parse_patch_path(text: str) -> PatchPath:
    """Parse a PATCH path (RFC 7644 §3.5.2).  Errors: InvalidPath (InvalidFilter inside ``[]``)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPath("path must be a non-empty string")
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidPath(f"path longer than {MAX_PATH_LENGTH} characters")
    text = text.strip()
    if text.startswith("/"):
        raise InvalidPath(f"JSON-Pointer paths are not SCIM paths (RFC 7644 §3.5.2): {text[:200]!r}")
    if "[" not in text:
        if _ATTR_RE.match(text) is None and text.lower().startswith("urn:") and re.fullmatch(r"[^\s\[\]()\"]+", text):
            return PatchPath(None, urn_only=text)
        return PatchPath(parse_attr_path(text))
    open_at = text.index("[")
    close_at = text.rfind("]")
    if close_at < open_at:
        raise InvalidPath(f"unbalanced '[' in path {text[:200]!r}")
    head, inner, tail = text[:open_at], text[open_at + 1:close_at], text[close_at + 1:]
    attr = parse_attr_path(head)
    if attr.sub is not None:
        raise InvalidPath(f"a value filter applies to a multi-valued attribute, not {attr.text!r}")
    if re.fullmatch(r"\s*-?\d+\s*", inner):
        raise InvalidPath(f"array indexes are not SCIM paths (RFC 7644 §3.5.2): {text[:200]!r}")
    sub = None
    if tail:
        m = re.fullmatch(rf"\.({_NAME})", tail)
        if m is None:
            raise InvalidPath(f"unexpected {tail[:50]!r} after ']' in path")
        sub = m.group(1)
    return PatchPath(attr, parse_value_filter(inner), sub)


# --- case-insensitive access to JSON objects (RFC 7643 §2.1) -------------------------------------


def key_ci(obj: dict[str, Any], name: str) -> str | None:
    """The key of ``obj`` equal to ``name`` without regard to case (exact match preferred)."""
    if name in obj:
        return name
    low = name.lower()
    for k in obj:
        if isinstance(k, str) and k.lower() == low:
            return k
    return None


def get_ci(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` without regard to case; ``default`` when absent or ``obj`` is not a dict."""
    if not isinstance(obj, dict):
        return default
    k = key_ci(obj, name)
    return default if k is None else obj[k]
