"""Floats never touch money: a lint over the source of shared/ and functions/.

A money expression is one that is assigned to, passed as, returned under, or computed from a name that
says money (`*_cents`, amount, fee, price, balance, ...). In such an expression we refuse:
- a float literal (`0.05`, `1e2`),
- a `float(...)` call,
- a true division `/` of a money name that is not first made a Decimal (`cents / 2` is a float).
Every `float(...)` call anywhere must also be away from money names (ratios of counts are fine).
The responses half of the rule (every `*_cents` in every payment response is an int) is checked by the
payment API tests themselves, on every call they make (`tests.factories.int_cents_only`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted([*REPO.glob("shared/**/*.py"), *REPO.glob("functions/**/*.py")])
MONEY = re.compile(r"(cents|amount|price|fee|balance|money|refund|discount|installment|principal_due|payment_due)",
                   re.IGNORECASE)


def _names(node: ast.AST) -> list[str]:
    """Identifiers, attribute names and constant string keys mentioned in `node`."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.append(child.id)
        elif isinstance(child, ast.Attribute):
            found.append(child.attr)
        elif isinstance(child, ast.keyword) and child.arg:
            found.append(child.arg)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and len(child.value) < 60:
            found.append(child.value)
    return found


def _is_money(node: ast.AST) -> bool:
    return any(MONEY.search(name) for name in _names(node))


def _is_decimal(node: ast.AST) -> bool:
    return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "Decimal"
               for c in ast.walk(node))


def _money_expressions(tree: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """(label node, value) pairs: values bound to money names, and money arguments of calls."""
    pairs: list[tuple[ast.AST, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs.extend((target, node.value) for target in node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            pairs.append((node.target, node.value))
        elif isinstance(node, ast.keyword) and node.arg:
            pairs.append((ast.Name(id=node.arg), node.value))
        elif isinstance(node, ast.Dict):
            pairs.extend((key, value) for key, value in zip(node.keys, node.values, strict=True) if key is not None)
        elif isinstance(node, ast.BinOp | ast.Compare | ast.Return):
            pairs.append((node, node))
    return [(label, value) for label, value in pairs if _is_money(label)]


def float_problems(source: str, filename: str = "<source>") -> list[str]:
    tree = ast.parse(source, filename)
    problems = set()
    for _, value in _money_expressions(tree):
        for node in ast.walk(value):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                problems.add((node.lineno, f"float literal {node.value!r} in a money expression"))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
                problems.add((node.lineno, "float() in a money expression"))
            elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _is_money(node.left)
                  and not _is_decimal(node.left) and not _is_decimal(node.right)):
                problems.add((node.lineno, "true division of money without Decimal"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" and any(
                _is_money(arg) for arg in node.args):
            problems.add((node.lineno, "float() of a money value"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(problems)]


def test_the_sources_are_found():
    names = {path.relative_to(REPO).as_posix() for path in SOURCES}
    assert {"shared/money.py", "functions/api.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_float_touches_money(path: Path):
    assert float_problems(path.read_text(encoding="utf-8"), path.relative_to(REPO).as_posix()) == []


@pytest.mark.parametrize("source", [
    "discount_cents = 0.05 * patient_cents",
    "amount = float(total)",
    "share = payment_cents / 2",
    "entry = {'amount_cents': 1e3}",
    "post(amount_cents=round(x * 1.5))",
    "def f(fee_cents):\n    return fee_cents / 3",
])
def test_the_lint_catches_floats_in_money(source: str):
    assert float_problems(source) != []


@pytest.mark.parametrize("source", [
    "discount_cents = percent_of(patient_cents, 5)",
    "rate = Decimal(apr_bps) / Decimal(10000)",
    "installment = Decimal(principal_cents) / Decimal(count)",
    "ms = round(seconds * 1000.0, 1)",
    "value = float(Decimal(numerator) / Decimal(denominator))",
])
def test_the_lint_allows_decimal_money_and_floats_elsewhere(source: str):
    assert float_problems(source) == []
