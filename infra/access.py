"""Which AWS actions each function's code can call, read from the code itself (least privilege, derived).

A function's code is the project modules it can reach: for the API, every module under `functions/` (it
serves every route, and routes may be imported lazily); for an event handler, the modules that its body in
`functions/jobs.py` names (with the module's own helpers it calls), and everything those import, at any
depth, including imports inside functions. The unit is the module: a module that can delete an item
makes every function reaching it able to delete one.

In that code, AWS calls are recognised by the methods that make them (pynamodb's `save`, `delete`,
`update(actions=...)`, `query`, ...; boto3's `send_message_batch`; the notifier's `send_email`). The
template grants exactly these actions (infra/template_functions.py) and tests/unit/test_template.py
checks the roles against this module; tests/unit/test_access.py checks the recognition on known code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("functions", "shared")
JOBS_MODULE = "functions.jobs"
API = "api"


@dataclass(frozen=True)
class Capability:
    """An IAM action, and the calls that need it. `receivers`: if set, the call counts only on an object
    so named (`Record.get`, `records.get`: not a dict's `get`); `keyword`: only with that keyword argument
    (`update(actions=...)`: not a dict's `update`). `obtained_by`: the code must also make the provider
    (a notifier that sends is one that some reached module creates)."""

    action: str
    methods: tuple[str, ...]
    receivers: tuple[str, ...] = ()
    keyword: str | None = None
    obtained_by: tuple[str, ...] = ()
    bare: bool = False  # also called as a plain function (`signing_keys()`), not only as a method


MODEL_RECEIVERS = ("Record", "records", "KpiItem", "tx")  # pynamodb models, the records helper, TransactGet
NOTIFIER_FACTORIES = ("notifier.default", "AwsNotifier")
CAPABILITIES: tuple[Capability, ...] = (
    Capability("dynamodb:GetItem", ("get",), receivers=MODEL_RECEIVERS),  # TransactGet's items need it too
    Capability("dynamodb:PutItem", ("save",)),
    Capability("dynamodb:UpdateItem", ("update",), keyword="actions"),
    Capability("dynamodb:DeleteItem", ("delete",)),
    Capability("dynamodb:ConditionCheckItem", ("condition_check",)),
    Capability("dynamodb:Query", ("query", "count")),
    Capability("dynamodb:BatchGetItem", ("batch_get", "batch_get_item")),
    Capability("dynamodb:BatchWriteItem", ("batch_write",)),
    Capability("dynamodb:Scan", ("scan",)),  # never granted: tests fail if code reachable by a function scans
    Capability("sqs:SendMessage", ("send_message", "send_message_batch")),
    Capability("ses:SendEmail", ("send_email",), obtained_by=NOTIFIER_FACTORIES),
    Capability("sns:Publish", ("send_sms",), obtained_by=NOTIFIER_FACTORIES),
    Capability("secretsmanager:GetSecretValue", ("signing_keys",), bare=True),  # shared/cursor_keys.py
)
# Modules that implement a capability for others: their own calls (`client.send_email(...)`) are the
# provider's, not a use; a function uses it when the code it reaches calls the provider's methods.
PROVIDERS = frozenset({"shared.adapters.notifier"})


def _path(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def _tree(module: str) -> ast.Module:
    path = _path(module)
    if path is None:
        raise ValueError(f"no module {module} in the project")
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_project(module: str) -> bool:
    return module == "app" or module.split(".")[0] in PACKAGES


def _imports(module: str) -> dict[str, str]:
    """Every project module `module` imports, anywhere in it, by the local name it binds."""
    bound: dict[str, str] = {}
    package = module.rsplit(".", 1)[0] if _path(module) and _path(module).name != "__init__.py" else module
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_project(alias.name):
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if not _is_project(base):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                bound[alias.asname or alias.name] = submodule if _path(submodule) else f"{base}:{alias.name}"
    return bound


Node = tuple[str, str]  # (module, a top-level name in it); "" names the module's own top-level code


@cache
def _definitions(module: str) -> dict[str, ast.AST]:
    tree = _tree(module)
    named = {node.name: node for node in tree.body
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    named[""] = ast.Module(body=[node for node in tree.body if node not in named.values()], type_ignores=[])
    return named


def _edges(module: str, name: str) -> set[Node]:
    """What the code of one definition refers to: its module's definitions it names, imported names, and
    `alias.attribute` of imported modules. A module named without an attribute counts whole."""
    node = _definitions(module).get(name)
    if node is None:
        return set()
    bound, local = _imports(module), _definitions(module)
    found: set[Node] = {(module, "")}
    for child in ast.walk(node):
        if (isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)
                and ":" not in bound.get(child.value.id, ":")):
            target = bound[child.value.id]
            submodule = f"{target}.{child.attr}"
            found.add((submodule, "") if _path(submodule) else (target, child.attr))
        elif isinstance(child, ast.Name):
            if child.id in local and child.id != name:
                found.add((module, child.id))
            elif child.id in bound:
                target, _, attr = bound[child.id].partition(":")
                found |= {(target, attr)} if attr else {(target, ""), *((target, n) for n in _definitions(target))}
    return found


def reachable(entries: Iterable[Node]) -> frozenset[Node]:
    """The definitions reachable from `entries` through the names their code uses, at any depth."""
    seen: set[Node] = set()
    pending = list(entries)
    while pending:
        node = pending.pop()
        if not _path(node[0]):
            continue
        if node[1] not in _definitions(node[0]):  # a constant or a re-exported name: module-level code
            node = (node[0], "")
        if node in seen:
            continue
        seen.add(node)
        pending.extend(_edges(*node))
    return frozenset(seen)


EVENT_DECORATORS = frozenset({"schedule", "on_sqs_message", "on_sns_message", "on_s3_event", "on_cw_event"})


def _is_event_handler(node: ast.AST) -> bool:
    """`@app.schedule(...)`, `@app.on_sqs_message(...)`...: app.py's event handlers, which are not the API."""
    decorators = getattr(node, "decorator_list", [])
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in EVENT_DECORATORS
               for d in decorators)


def handler_names() -> list[str]:
    """The event handlers' bodies in functions/jobs.py, which app.py's handlers of the same names call."""
    return [name for name, node in _definitions(JOBS_MODULE).items()
            if isinstance(node, ast.FunctionDef) and not name.startswith("_")]


def function_code(function: str) -> frozenset[Node]:
    """The project code a deployed function can run: `api`, or the name of an event handler in app.py."""
    if function == API:
        modules = ["app", *(f"functions.{path.stem}" for path in (REPO / "functions").glob("*.py"))]
        return reachable((module, name) for module in modules if module != JOBS_MODULE
                         for name, node in _definitions(module).items() if not _is_event_handler(node))
    if function not in _definitions(JOBS_MODULE):
        raise ValueError(f"{JOBS_MODULE} has no handler {function!r}: app.py's event handlers delegate there")
    return reachable([(JOBS_MODULE, function)])


def _receiver(call: ast.Call) -> str:
    target = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(target, ast.Attribute):
        target = target.value
    if isinstance(target, ast.Call):
        return _receiver(target)
    return target.id if isinstance(target, ast.Name) else ""


def _dotted(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_dotted(func.value)}.{func.attr}"
    return ""


def _matches(capability: Capability, call: ast.Call) -> bool:
    if capability.bare and isinstance(call.func, ast.Name):
        return call.func.id in capability.methods
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in capability.methods:
        return False
    if capability.receivers and _receiver(call) not in capability.receivers:
        return False
    return capability.keyword is None or any(kw.arg == capability.keyword for kw in call.keywords)


def _calls(nodes: Iterable[Node]) -> list[tuple[str, ast.Call]]:
    return [(module, call) for module, name in nodes
            for call in ast.walk(_definitions(module)[name]) if isinstance(call, ast.Call)]


def actions_in(nodes: Iterable[Node]) -> frozenset[str]:
    """The AWS actions the calls in these definitions need (providers' own calls excluded)."""
    calls = _calls(nodes)
    made = {_dotted(call.func) for _, call in calls}
    found = set()
    for capability in CAPABILITIES:
        if capability.obtained_by and not made & set(capability.obtained_by):
            continue
        if any(_matches(capability, call) for module, call in calls if module not in PROVIDERS):
            found.add(capability.action)
    return frozenset(found)


@cache
def function_actions(function: str) -> frozenset[str]:
    """What the role of `function` must allow for the calls its code makes (beyond logs, X-Ray, its
    trigger and its failure destination, which the template adds for every function of its kind)."""
    return actions_in(function_code(function))


METRIC_CALLS = {"_count": 0, "add_metric": None}  # function -> position of the metric's name (None: name=)


def emitted_metric_names() -> frozenset[str]:
    """Names of the CloudWatch metrics the project's code writes (powertools EMF), from the calls that do."""
    names = set()
    for path in [REPO / "app.py", *(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))]:
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            called = _dotted(call.func).rsplit(".", 1)[-1]
            if called not in METRIC_CALLS:
                continue
            position = METRIC_CALLS[called]
            arguments = [kw.value for kw in call.keywords if kw.arg == "name"]
            if position is not None and len(call.args) > position:
                arguments.append(call.args[position])
            names |= {arg.value for arg in arguments if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return frozenset(names)
