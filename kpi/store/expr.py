"""A tiny arithmetic expression language, shared by measure expressions and KPI formulas.

``parse("(invoiced - time_cost) / invoiced")`` gives a tree of frozen nodes.
Only numbers, names (``col`` or ``alias.col``), ``+ - * /``, unary minus and
parentheses are accepted; anything else (calls, attributes of attributes,
comparisons, strings…) is refused with :class:`ExprError`. Nothing here ever
becomes SQL text: the store compiles trees to SQLAlchemy Core expressions.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

MAX_LENGTH = 500


class ExprError(ValueError):
    pass


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str  # column or measure name
    alias: str | None = None  # join alias for ``alias.col``

    @property
    def dotted(self) -> str:
        return f"{self.alias}.{self.name}" if self.alias else self.name


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * /
    left: Expr
    right: Expr


Expr = Num | Ref | Neg | BinOp

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse(text: str) -> Expr:
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"'{text}' is not a valid expression ({exc.msg})") from None
    return _convert(tree.body, text)


def _convert(node: ast.AST, text: str) -> Expr:
    match node:
        case ast.Constant(value=bool()):
            pass
        case ast.Constant(value=int() | float() as value):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number) or abs(number) > 1e15:
                raise ExprError(f"the number {str(value)[:20]} in '{text[:60]}' is too large (at most 1e15)")
            return Num(number)
        case ast.Name(id=name):
            return Ref(name)
        case ast.Attribute(value=ast.Name(id=alias), attr=name):
            return Ref(name, alias)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return Neg(_convert(operand, text))
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _convert(operand, text)
        case ast.BinOp(op=op, left=left, right=right) if type(op) in _OPS:
            return BinOp(_OPS[type(op)], _convert(left, text), _convert(right, text))
    raise ExprError(f"'{ast.unparse(node)}' is not allowed in '{text}': use numbers, names, + - * / and parentheses")


def refs(expr: Expr) -> list[Ref]:
    """Every name the expression reads, in order of appearance (duplicates removed)."""
    found: list[Ref] = []

    def walk(node: Expr) -> None:
        match node:
            case Num():
                pass
            case Ref():
                if node not in found:
                    found.append(node)
            case Neg(operand=operand):
                walk(operand)
            case BinOp(left=left, right=right):
                walk(left)
                walk(right)
            case _:
                raise AssertionError(node)

    walk(expr)
    return found


def render(expr: Expr, name_of: Callable[[Ref], str] = lambda ref: ref.dotted) -> str:
    """Write the tree back as text, naming refs with ``name_of`` (used for formula texts)."""
    match expr:
        case Num(value=value):
            return f"{value:g}"
        case Ref():
            return name_of(expr)
        case Neg(operand=operand):
            return f"−{_wrap(operand, name_of)}"
        case BinOp(op=op, left=left, right=right):
            symbol = {"+": "+", "-": "−", "*": "×", "/": "÷"}[op]
            return f"{_wrap(left, name_of)} {symbol} {_wrap(right, name_of)}"
    raise AssertionError(expr)


def _wrap(expr: Expr, name_of: Callable[[Ref], str]) -> str:
    text = render(expr, name_of)
    return f"({text})" if isinstance(expr, BinOp) else text
