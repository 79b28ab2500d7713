"""Entra ID's attribute-mapping expression language: a real parser and evaluator (subset).

Grammar (learn.microsoft.com …/functions-for-customizing-application-data, E7)::

    expression := call | attribute | string | number | boolean
    call       := Name "(" [argument ("," argument)*] ")"     # an argument may be empty
    argument   := expression [("=" | "<>") expression]          # IIF conditions: [c]="US"
    attribute  := "[" name "]"                                  # [userPrincipalName]
    string     := '"' (char | '\\"' | '\\\\')* '"'

Function names are case-sensitive and expressions are at most 10,000 characters, as in Entra.
Errors are :class:`ExpressionError` with the 0-based ``position`` of the mistake and a caret
line pointing at it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mock_idp.exprfunctions import ARITY, FUNCTIONS, Value, text

__all__ = ["ExpressionError", "Expression", "parse", "evaluate", "FUNCTIONS", "MAX_LENGTH"]

MAX_LENGTH = 10_000


class ExpressionError(ValueError):
    """A mistake in an expression, at ``position`` (0-based) of ``source``."""

    def __init__(self, message: str, source: str, position: int) -> None:
        self.message = message
        self.source = source
        self.position = position
        shown = source if len(source) <= 200 else source[:200] + "…"
        caret = " " * min(position, len(shown)) + "^"
        super().__init__(f"{message} at position {position}:\n  {shown}\n  {caret}")


# -- syntax tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    value: Value
    pos: int


@dataclass(frozen=True)
class Attribute:
    name: str
    pos: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple["Node | None", ...]
    pos: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: "Node"
    right: "Node"
    pos: int


Node = Literal | Attribute | Call | Compare


@dataclass(frozen=True)
class Expression:
    """A parsed expression; ``attributes`` are the source attributes it reads."""

    source: str
    root: Node

    @property
    def attributes(self) -> set[str]:
        found: set[str] = set()

        def walk(node: Node | None) -> None:
            if isinstance(node, Attribute):
                found.add(node.name)
            elif isinstance(node, Call):
                for arg in node.args:
                    walk(arg)
            elif isinstance(node, Compare):
                walk(node.left)
                walk(node.right)

        walk(self.root)
        return found

    def evaluate(self, attributes: Mapping[str, Value]) -> Value:
        return _eval(self.root, attributes, self.source)


# -- parser ------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0

    def fail(self, message: str, pos: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.src, self.i if pos is None else pos)

    def skip(self) -> None:
        while self.i < len(self.src) and self.src[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        self.skip()
        return self.src[self.i] if self.i < len(self.src) else ""

    def parse(self) -> Node:
        node = self.argument()
        if node is None:
            raise self.fail("expected an expression")
        if self.peek():
            raise self.fail(f"unexpected {self.src[self.i]!r} after the end of the expression")
        return node

    def argument(self) -> Node | None:
        """An argument, possibly empty (Switch([x], , "a", "b")), possibly a comparison."""
        ch = self.peek()
        if ch in {",", ")"}:
            return None
        left = self.primary()
        ch = self.peek()
        if ch == "=" or self.src.startswith("<>", self.i):
            pos = self.i
            op = "=" if ch == "=" else "<>"
            self.i += len(op)
            right = self.primary()
            return Compare(op, left, right, pos)
        return left

    def primary(self) -> Node:
        ch = self.peek()
        start = self.i
        if not ch:
            raise self.fail("the expression ends too early")
        if ch == "[":
            end = self.src.find("]", start + 1)
            if end < 0:
                raise self.fail("an attribute name is missing its closing ']'", start)
            name = self.src[start + 1 : end].strip()
            if not name:
                raise self.fail("an empty attribute name", start)
            self.i = end + 1
            return Attribute(name, start)
        if ch == '"':
            return Literal(self.string(), start)
        if ch == "\u201c" or ch == "\u201d":
            raise self.fail("typographic quotes are not allowed: use straight quotes \"", start)
        if ch.isdigit() or ch == "-":
            m = re.compile(r"-?\d+").match(self.src, start)
            if not m:
                raise self.fail("a malformed number", start)
            self.i = m.end()
            return Literal(int(m.group()), start)
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.src, start)
        if not m:
            raise self.fail(f"unexpected {ch!r}", start)
        name = m.group()
        self.i = m.end()
        if name in {"True", "False", "true", "false"} and self.peek() != "(":
            return Literal(name.lower() == "true", start)
        if self.peek() != "(":
            raise self.fail(f"{name!r} is not a function call; attributes go in brackets: [{name}]", start)
        if name not in FUNCTIONS:
            close = [f for f in FUNCTIONS if f.lower() == name.lower()]
            hint = f" (function names are case-sensitive: did you mean {close[0]}?)" if close else ""
            raise self.fail(f"unknown function {name!r}{hint}", start)
        self.i += 1  # "("
        args: list[Node | None] = []
        if self.peek() == ")":
            self.i += 1
        else:
            while True:
                args.append(self.argument())
                ch = self.peek()
                if ch == ",":
                    self.i += 1
                    continue
                if ch == ")":
                    self.i += 1
                    break
                if not ch:
                    raise self.fail(f"{name}( is missing its closing ')'", start)
                raise self.fail(f"expected ',' or ')' in {name}(…), found {ch!r}")
        low, high = ARITY[name]
        if not low <= len(args) <= high:
            want = f"{low}" if low == high else f"{low} to {high if high < 99 else 'any'}"
            raise self.fail(f"{name} takes {want} arguments, got {len(args)}", start)
        return Call(name, tuple(args), start)

    def string(self) -> str:
        start = self.i
        self.i += 1
        out: list[str] = []
        while self.i < len(self.src):
            ch = self.src[self.i]
            if ch == "\\" and self.i + 1 < len(self.src):
                out.append(self.src[self.i + 1])
                self.i += 2
                continue
            if ch == '"':
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1
        raise self.fail("a string is missing its closing quote", start)


def parse(source: str) -> Expression:
    """Parse ``source``; raises :class:`ExpressionError` pointing at the mistake."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expressions are limited to {MAX_LENGTH} characters", source[:50], MAX_LENGTH)
    return Expression(source, _Parser(source).parse())


def evaluate(source: str, attributes: Mapping[str, Value]) -> Value:
    return parse(source).evaluate(attributes)


# -- evaluation --------------------------------------------------------------------------------
def _eval(node: Node | None, attrs: Mapping[str, Value], src: str) -> Value:
    if node is None:
        return None
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Attribute):
        return attrs.get(node.name)
    if isinstance(node, Compare):
        left, right = text(_eval(node.left, attrs, src)), text(_eval(node.right, attrs, src))
        return (left == right) if node.op == "=" else (left != right)
    func = FUNCTIONS[node.name]
    try:
        return func(*[_eval(a, attrs, src) for a in node.args])
    except (TypeError, ValueError, re.error) as exc:
        raise ExpressionError(f"{node.name} failed: {exc}", src, node.pos) from exc
