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
            written = ast.get_source_segment(text.strip(), node) or ""
            if number == 0 and any(c in "123456789" for c in written.lower().split("e")[0]):
                raise ExprError(f"the number {written[:20]} in '{text[:60]}' is too small: it reads as 0")
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


SMALLEST = 1e-15  # a constant factor at or below this turns every value into a rounding of zero
LARGEST = 1e15  # a value at or beyond this is not a business number (kpi.store.sql.LIMIT): it is left out


def constant(expr: Expr) -> float | None:
    """The value of a sub-expression without names (inf when it overflows), else None."""
    match expr:
        case Num(value=value):
            return value
        case Ref():
            return None
        case Neg(operand=operand):
            inner = constant(operand)
            return None if inner is None else -inner
        case BinOp(op=op, left=left, right=right):
            a, b = constant(left), constant(right)
            if a is None or b is None:
                return None
            try:
                return {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else (a / b if b else math.inf)
            except OverflowError:
                return math.inf
    raise AssertionError(expr)


def _factor(expr: Expr) -> float:
    """The constant every value of ``expr`` is scaled by (1 for a name; constants added are not scales)."""
    match expr:
        case Num(value=value):
            return 1.0 if value else 0.0
        case Ref():
            return 1.0
        case Neg(operand=operand):
            return _factor(operand)
        case BinOp(op="*", left=left, right=right):
            c = constant(left) if constant(left) is not None else constant(right)
            other = right if constant(left) is not None else left
            return _product(abs(c), _factor(other)) if c is not None and constant(other) is None else 1.0
        case BinOp(op="/", left=left, right=right):
            c = constant(right)
            if constant(left) is not None:
                return 1.0  # a constant over a name: its scale depends on the values
            scale = abs(c) if c is not None else _factor(right)
            return _product(_factor(left), 1 / scale) if scale else math.inf
        case BinOp(left=left, right=right):  # + and -: the larger scale of the named parts
            scales = [_factor(e) for e in (left, right) if constant(e) is None]
            return max(scales, default=1.0)
    raise AssertionError(expr)


def _product(a: float, b: float) -> float:
    try:
        return a * b
    except OverflowError:
        return math.inf


def degenerate(expr: Expr) -> str | None:
    """Why ``expr``'s constants make every value zero, infinite or empty (None when they don't): a division
    by a constant 0, a multiplication by 0, or constant factors that scale every value beyond
    :data:`LARGEST` (left out, so the KPI is empty) or below :data:`SMALLEST` (always zero)."""
    for node in _nodes(expr):
        if not isinstance(node, BinOp) or constant(node) is not None:
            continue
        left, right = constant(node.left), constant(node.right)
        part = _short(node)
        if node.op == "/" and right is not None and (right == 0 or not math.isfinite(right)):
            return f"it divides by {_short(node.right)}, which is always {'0' if right == 0 else 'infinite'}"
        if (node.op in ("*", "/") and left == 0) or (node.op == "*" and right == 0):
            return f"{part} is always 0"
        if node.op == "*" and not math.isfinite(left if left is not None else (right or 0)):
            return f"{part} multiplies by a number that overflows to infinity"
    factor = _factor(expr)
    if factor >= LARGEST or not math.isfinite(factor):
        return (
            f"its constants multiply every value by {factor:g}: a value of 1 would be beyond 1e15, the largest "
            "number the bot counts, so the KPI would always be empty"
        )
    if 0 < factor <= SMALLEST:
        return f"its constants multiply every value by {factor:g}: every value would show as 0"
    return None


def _short(expr: Expr) -> str:
    text = render(expr)
    return text if len(text) <= 60 else text[:57] + "…"


def _nodes(expr: Expr) -> list[Expr]:
    match expr:
        case Neg(operand=operand):
            return [expr, *_nodes(operand)]
        case BinOp(left=left, right=right):
            return [expr, *_nodes(left), *_nodes(right)]
    return [expr]
