"""Native guards: the parts of a rule's CEL that plain Python decides, exactly.

cel-python walks its parse tree on every evaluation — about 0.2 ms for ``'SYR' in topics``,
several ms for a filter over the events — and most articles match no rule. So every
expression is split into its top-level conjuncts (``a && b && c``), and each conjunct that
lies in a small, statically typed subset of CEL is compiled once into a Python closure over
the plain rule context (``context.build_context``):

* literals and lists of literals of one type; context fields and macro variables, whose
  types are ``context.CONTEXT_TYPES``; ``lists.<name>`` when all its values are strings
  (or all integers);
* ``x in list`` (string, int or bool x); ``==`` ``!=`` on two values of one scalar type;
  ``<`` ``<=`` ``>`` ``>=`` on two ints, doubles or strings; ``&&`` ``||`` ``!`` ``?:``;
* ``size()`` of a string or list; ``startsWith`` ``endsWith`` ``contains`` on strings;
  the macros ``exists`` ``all`` ``exists_one`` ``filter`` ``map`` over lists.

In that subset every operand's type is known and every operation is defined on it, so no
CEL error can arise and CEL's rules for errors inside ``&&``/``||`` never apply: Python's
``and``/``or``/``in``/``==`` give CEL's answer. Anything else — arithmetic, indexing,
``has()``, mixed types, timestamps, ``matches`` — is left to CEL.

A guard is a necessary condition. A condition cannot be true when one of its conjuncts is
false (``false && x`` is false in CEL whatever ``x`` is, an error included); an evidence
``items.filter(v, a && b)`` selects nothing when no item passes the guarded conjuncts. So a
false guard means "no match, no error" and CEL is not run. A guard that covers the whole
expression is *exact*: its value is the expression's value. ``tests/unit/test_alert_guards.py``
checks both against cel-python on hundreds of generated articles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lark
from celpy import celtypes
from celpy.evaluation import Activation, Evaluator

from .context import CONTEXT_TYPES

Fn = Callable[[Mapping[str, Any], list], Any]  # (plain context, macro variable slots) → value

_SCALARS = frozenset({"string", "int", "double", "bool"})
_ORDERED = frozenset({"string", "int", "double"})
_IN_SCALARS = frozenset({"string", "int", "bool"})  # not double: `nan in [nan]` differs
_MACROS = frozenset({"exists", "all", "exists_one", "filter", "map"})
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication"}
    | {"unary", "member", "primary"}
)
_NO_CONSTANT = object()


class _Unsupported(Exception):
    """The expression leaves the native subset; CEL has to decide it."""


@dataclass(frozen=True)
class _Expr:
    type: Any
    fn: Fn
    constant: Any = _NO_CONSTANT


@dataclass(frozen=True)
class Guard:
    """A native test of one expression: ``check`` false ⇒ false (or selects nothing)."""

    check: Callable[[Mapping[str, Any]], bool]
    exact: bool  # check() is the condition's value / whether the evidence selects anything
    select: Callable[[Mapping[str, Any]], list[Any]] | None = None  # exact evidence only


def _unwrap(node: Any) -> Any:
    while (
        isinstance(node, lark.Tree)
        and node.data in _PASS_THROUGH
        and len(node.children) == 1
        and isinstance(node.children[0], lark.Tree)
    ):
        node = node.children[0]
    return node


def conjuncts(node: Any) -> list[Any]:
    """``a && (b && c)`` → [a, b, c] (as parse trees)."""
    node = _unwrap(node)
    if isinstance(node, lark.Tree) and node.data == "paren_expr":
        return conjuncts(node.children[0])
    if isinstance(node, lark.Tree) and node.data == "conditionaland" and len(node.children) == 2:
        return conjuncts(node.children[0]) + conjuncts(node.children[1])
    return [node]


def _constant_type(value: Any) -> Any:
    if isinstance(value, celtypes.BoolType):
        return "bool"
    if isinstance(value, celtypes.IntType):
        return "int"
    if isinstance(value, celtypes.DoubleType):
        return "double"
    if isinstance(value, celtypes.StringType):
        return "string"
    raise _Unsupported(type(value).__name__)


def _plain(value: Any, kind: str) -> Any:
    return {"bool": bool, "int": int, "double": float, "string": str}[kind](value)


def _list_constant(values: list[Any]) -> _Expr:
    kinds = {type(v) for v in values}
    if not values or len(kinds) != 1 or kinds.pop() not in (str, int):
        raise _Unsupported("a list constant must be non-empty strings or integers")
    kind = "string" if isinstance(values[0], str) else "int"
    frozen = tuple(values)
    return _Expr(("list", kind), lambda c, f: list(frozen), frozen)


class _Compiler:
    """CEL parse tree → typed Python closure, or ``_Unsupported``."""

    def __init__(self, lists: Mapping[str, Any]) -> None:
        self.lists = lists
        self.slots = 0

    def compile(self, node: Any, scope: dict[str, tuple[int, Any]]) -> _Expr:
        node = _unwrap(node)
        if not isinstance(node, lark.Tree):
            raise _Unsupported(str(node))
        handler = getattr(self, f"_on_{node.data}", None)
        if handler is None:
            raise _Unsupported(node.data)
        return handler(node, scope)

    def boolean(self, node: Any, scope: dict[str, tuple[int, Any]]) -> Fn:
        expr = self.compile(node, scope)
        if expr.type != "bool":
            raise _Unsupported("not a bool")
        return expr.fn

    # -- operators

    def _on_expr(self, node: lark.Tree, scope: dict) -> _Expr:  # cond ? a : b
        cond = self.boolean(node.children[0], scope)
        a, b = self.compile(node.children[1], scope), self.compile(node.children[2], scope)
        if a.type != b.type:
            raise _Unsupported("?: branches of different types")
        af, bf = a.fn, b.fn
        return _Expr(a.type, lambda c, f: af(c, f) if cond(c, f) else bf(c, f))

    def _on_conditionalor(self, node: lark.Tree, scope: dict) -> _Expr:
        a, b = (self.boolean(n, scope) for n in node.children)
        return _Expr("bool", lambda c, f: a(c, f) or b(c, f))

    def _on_conditionaland(self, node: lark.Tree, scope: dict) -> _Expr:
        a, b = (self.boolean(n, scope) for n in node.children)
        return _Expr("bool", lambda c, f: a(c, f) and b(c, f))

    def _on_unary(self, node: lark.Tree, scope: dict) -> _Expr:
        op, operand = node.children
        if op.data != "unary_not":
            raise _Unsupported(op.data)
        fn = self.boolean(operand, scope)
        return _Expr("bool", lambda c, f: not fn(c, f))

    def _on_relation(self, node: lark.Tree, scope: dict) -> _Expr:
        op_node, right_node = node.children
        left, right = self.compile(op_node.children[0], scope), self.compile(right_node, scope)
        lf, rf, op = left.fn, right.fn, op_node.data
        if op == "relation_in":
            if left.type not in _IN_SCALARS or right.type != ("list", left.type):
                raise _Unsupported("in: types")
            if right.constant is not _NO_CONSTANT:
                members = frozenset(right.constant)
                return _Expr("bool", lambda c, f: lf(c, f) in members)
            return _Expr("bool", lambda c, f: lf(c, f) in rf(c, f))
        if left.type != right.type:
            raise _Unsupported("comparison of different types")
        if op in ("relation_eq", "relation_ne"):
            if left.type not in _SCALARS:
                raise _Unsupported("== on lists or maps")
            if op == "relation_eq":
                return _Expr("bool", lambda c, f: lf(c, f) == rf(c, f))
            return _Expr("bool", lambda c, f: lf(c, f) != rf(c, f))
        if left.type not in _ORDERED:
            raise _Unsupported("ordering of this type")
        compare = {
            "relation_lt": lambda c, f: lf(c, f) < rf(c, f),
            "relation_le": lambda c, f: lf(c, f) <= rf(c, f),
            "relation_gt": lambda c, f: lf(c, f) > rf(c, f),
            "relation_ge": lambda c, f: lf(c, f) >= rf(c, f),
        }[op]
        return _Expr("bool", compare)

    # -- values

    def _on_paren_expr(self, node: lark.Tree, scope: dict) -> _Expr:
        return self.compile(node.children[0], scope)

    def _on_literal(self, node: lark.Tree, scope: dict) -> _Expr:
        # cel-python itself reads the literal (escapes, hex, raw strings…).
        value = Evaluator(node, activation=Activation()).visit(node)
        kind = _constant_type(value)
        plain = _plain(value, kind)
        return _Expr(kind, lambda c, f: plain, plain)

    def _on_list_lit(self, node: lark.Tree, scope: dict) -> _Expr:
        if not node.children:
            raise _Unsupported("empty list")
        items = [self.compile(n, scope) for n in node.children[0].children]
        if any(i.constant is _NO_CONSTANT for i in items):
            raise _Unsupported("a list of non-constants")
        if len({i.type for i in items}) != 1 or items[0].type not in ("string", "int"):
            raise _Unsupported("a list of mixed or unsupported types")
        return _list_constant([i.constant for i in items])

    def _on_ident(self, node: lark.Tree, scope: dict) -> _Expr:
        name = str(node.children[0])
        if name in scope:
            slot, kind = scope[name]
            return _Expr(kind, lambda c, f: f[slot])
        if name in CONTEXT_TYPES:
            return _Expr(CONTEXT_TYPES[name], lambda c, f: c[name])
        raise _Unsupported(f"name {name}")

    def _on_member_dot(self, node: lark.Tree, scope: dict) -> _Expr:
        target_node, name_token = node.children
        name = str(name_token)
        target = _unwrap(target_node)
        if (
            isinstance(target, lark.Tree)
            and target.data == "ident"
            and str(target.children[0]) == "lists"
            and "lists" not in scope
        ):
            if name not in self.lists:
                raise _Unsupported(f"lists.{name}")
            return _list_constant(list(self.lists[name]))
        record = self.compile(target_node, scope)
        if not isinstance(record.type, dict) or name not in record.type:
            raise _Unsupported(f"field {name}")
        get = record.fn
        return _Expr(record.type[name], lambda c, f: get(c, f)[name])

    def _on_ident_arg(self, node: lark.Tree, scope: dict) -> _Expr:
        if str(node.children[0]) != "size" or len(node.children) != 2:
            raise _Unsupported(str(node.children[0]))
        args = node.children[1].children
        if len(args) != 1:
            raise _Unsupported("size() takes one argument")
        return self._size(self.compile(args[0], scope))

    @staticmethod
    def _size(value: _Expr) -> _Expr:
        if value.type != "string" and not isinstance(value.type, tuple):
            raise _Unsupported("size() of this type")
        fn = value.fn
        return _Expr("int", lambda c, f: len(fn(c, f)))

    def _on_member_dot_arg(self, node: lark.Tree, scope: dict) -> _Expr:
        target_node, method_token = node.children[:2]
        method = str(method_token)
        args = node.children[2].children if len(node.children) > 2 else []
        target = self.compile(target_node, scope)
        if method in _MACROS:
            return self._macro(method, target, args, scope)
        if method == "size" and not args:
            return self._size(target)
        if method in ("startsWith", "endsWith", "contains") and len(args) == 1:
            arg = self.compile(args[0], scope)
            if target.type != "string" or arg.type != "string":
                raise _Unsupported(f"{method} on non-strings")
            tf, af = target.fn, arg.fn
            test = {
                "startsWith": lambda c, f: tf(c, f).startswith(af(c, f)),
                "endsWith": lambda c, f: tf(c, f).endswith(af(c, f)),
                "contains": lambda c, f: af(c, f) in tf(c, f),
            }[method]
            return _Expr("bool", test)
        raise _Unsupported(f"method {method}")

    def _macro(self, method: str, target: _Expr, args: list, scope: dict) -> _Expr:
        if not isinstance(target.type, tuple) or len(args) != 2:
            raise _Unsupported(f"{method} over a non-list")
        var = _unwrap(args[0])
        if not (isinstance(var, lark.Tree) and var.data == "ident"):
            raise _Unsupported("macro variable")
        slot = self.slots
        self.slots += 1
        inner = {**scope, str(var.children[0]): (slot, target.type[1])}
        body = self.compile(args[1], inner)
        items, fn = target.fn, body.fn
        if method == "map":
            return _Expr(
                ("list", body.type), lambda c, f: [_bind(f, slot, x, fn, c) for x in items(c, f)]
            )
        if body.type != "bool":
            raise _Unsupported(f"{method} with a non-bool predicate")
        if method == "exists":
            return _Expr("bool", lambda c, f: any(_bind(f, slot, x, fn, c) for x in items(c, f)))
        if method == "all":
            return _Expr("bool", lambda c, f: all(_bind(f, slot, x, fn, c) for x in items(c, f)))
        if method == "exists_one":
            return _Expr(
                "bool", lambda c, f: sum(1 for x in items(c, f) if _bind(f, slot, x, fn, c)) == 1
            )
        return _Expr(target.type, lambda c, f: [x for x in items(c, f) if _bind(f, slot, x, fn, c)])


def _bind(frame: list, slot: int, value: Any, fn: Fn, context: Mapping[str, Any]) -> Any:
    frame[slot] = value
    return fn(context, frame)


def _runner(compiler: _Compiler, fn: Fn) -> Callable[[Mapping[str, Any]], Any]:
    size = compiler.slots

    def run(context: Mapping[str, Any]) -> Any:
        return fn(context, [None] * size)

    return run


def condition_guard(tree: Any, lists: Mapping[str, Any]) -> Guard | None:
    """The native conjuncts of a condition (exact when there is no other), or None."""
    compiler = _Compiler(lists)
    parts = conjuncts(tree)
    tests: list[Fn] = []
    for part in parts:
        try:
            tests.append(compiler.boolean(part, {}))
        except _Unsupported:
            continue
    if not tests:
        return None
    check = _runner(compiler, _all(tests))
    return Guard(lambda c: bool(check(c)), len(tests) == len(parts))


def evidence_guard(tree: Any, lists: Mapping[str, Any]) -> Guard | None:
    """For ``items.filter(v, a && b …)``: whether any item passes the native conjuncts.

    Exact (and with ``select``, the filter's result) when every conjunct is native.
    """
    node = _unwrap(tree)
    if not (
        isinstance(node, lark.Tree)
        and node.data == "member_dot_arg"
        and str(node.children[1]) == "filter"
        and len(node.children) == 3
        and len(node.children[2].children) == 2
    ):
        return None
    compiler = _Compiler(lists)
    try:
        items = compiler.compile(node.children[0], {})
        var = _unwrap(node.children[2].children[0])
        if not isinstance(items.type, tuple) or not (
            isinstance(var, lark.Tree) and var.data == "ident"
        ):
            return None
    except _Unsupported:
        return None
    slot = compiler.slots
    compiler.slots += 1
    scope = {str(var.children[0]): (slot, items.type[1])}
    parts = conjuncts(node.children[2].children[1])
    tests: list[Fn] = []
    for part in parts:
        try:
            tests.append(compiler.boolean(part, scope))
        except _Unsupported:
            continue
    if not tests:
        return None
    passes, source = _all(tests), items.fn
    any_item = _runner(
        compiler, lambda c, f: any(_bind(f, slot, x, passes, c) for x in source(c, f))
    )
    exact = len(tests) == len(parts)
    select = (
        _runner(compiler, lambda c, f: [x for x in source(c, f) if _bind(f, slot, x, passes, c)])
        if exact
        else None
    )
    return Guard(lambda c: bool(any_item(c)), exact, select)


def _all(tests: list[Fn]) -> Fn:
    if len(tests) == 1:
        return tests[0]
    return lambda c, f: all(t(c, f) for t in tests)
