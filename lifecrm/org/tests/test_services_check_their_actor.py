"""Every public service checks its actor itself (issue 14 §3, deny by default): a scan of the source, so a new
service without a check fails the suite before anyone calls it.

Scanned: every `services.py` (or `services/` package) under lifecrm/, found on disk, so an app added later (servicing,
claims…) is scanned without a change here, and the modules listed in `OTHER_SERVICE_MODULES` whose functions are
services under another name. A public function (no leading underscore) with a parameter `actor` is a service.
It passes when its body calls a check (`CHECKS`), or calls a function, of its own module or imported from
another scanned module, that passes (a service that delegates to a checking one, or a private `_check`
helper); otherwise it must be in `ALLOW_LIST`, with the reason it needs no check. Syntax only (AST): nothing is
imported or run.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # lifecrm/

# The checks: org.access (a person's grant and the object's scope), core.actors (core's services, which sit below
# org: the admin site's model permissions).
CHECKS = frozenset({"authorize", "require", "require_model_permissions"})

# Modules whose public functions taking `actor` are services though the file is not called services.py.
OTHER_SERVICE_MODULES = ("org/logins.py", "billing/debits/imports.py")

# "module:function" → why it checks no actor. Each entry is a decision: a new one needs its reason.
ALLOW_LIST = {
    # The audit trail records whoever acts; every service calls it after its own check.
    "core.services:audit_record": "records the actor a checking service passes; checks nothing by design",
    "core.services:audit_record_many": "the same, for many rows at once",
    "core.services:audit_reveal": "records a reveal the calling page or service has already authorized "
                                  "(customer_reveal_id_number, below)",
    # Checks by other means than the helpers above (the scan sees no call of CHECKS):
    "billing.services:renewal_priorities_replace": "system only: refuses every actor not `trusted` (the value "
                                                   "app's train-lapse batch writes the priorities)",
}


@dataclass
class Function:
    module: str
    name: str
    node: ast.FunctionDef
    calls: set[tuple[str | None, str]] = field(default_factory=set)  # (module or None for unresolved, name)

    @property
    def key(self) -> str:
        return f"{self.module}:{self.name}"

    @property
    def is_service(self) -> bool:
        args = self.node.args
        names = {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
        return not self.name.startswith("_") and "actor" in names


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "lifecrm." + ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def service_modules() -> list[Path]:
    """Every `services.py` and every module of a `services/` package, at any depth (not tests), and the others."""
    found = set(PACKAGE.rglob("services.py")) | set(PACKAGE.rglob("services/*.py"))
    found |= {PACKAGE / rel for rel in OTHER_SERVICE_MODULES}
    return sorted(p for p in found if "tests" not in p.relative_to(PACKAGE).parts)


def imports(tree: ast.Module, module: str) -> dict[str, tuple[str, str | None]]:
    """Local name → (module, attribute or None for a module alias), including imports inside functions."""
    names: dict[str, tuple[str, str | None]] = {}
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                # `from lifecrm.billing import services` names a module; `from x.services import f` a function
                names[alias.asname or alias.name] = (base, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = (alias.name, None)
    return names


def called(node: ast.AST, module: str, imported: dict[str, tuple[str, str | None]]) -> set[tuple[str | None, str]]:
    calls = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in imported:
                origin, attr = imported[func.id]
                calls.add((origin, attr or func.id))
            else:
                calls.add((module, func.id))
        elif isinstance(func, ast.Attribute):
            calls.add((None, func.attr))
            if isinstance(func.value, ast.Name) and func.value.id in imported:
                origin, attr = imported[func.value.id]
                calls.add((f"{origin}.{attr}" if attr else origin, func.attr))
    return calls


def scan() -> dict[str, Function]:
    functions: dict[str, Function] = {}
    for path in service_modules():
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported = imports(tree, module)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                function = Function(module, node.name, node, called(node, module, imported))
                functions[function.key] = function
    return functions


def checked(functions: dict[str, Function]) -> set[str]:
    """The functions that check, directly or through a scanned function they call (to a fixed point)."""
    passing = {key for key, f in functions.items() if any(name in CHECKS for _origin, name in f.calls)}
    while True:
        more = {key for key, f in functions.items() if key not in passing
                and any(f"{origin}:{name}" in passing for origin, name in f.calls if origin)}
        if not more:
            return passing
        passing |= more


def test_the_scan_finds_the_services_and_their_checks():
    """The scan itself works: known services are found, and known checking ones pass."""
    functions = scan()
    services = {key for key, f in functions.items() if f.is_service}
    assert {"billing.services:payment_record", "org.logins:login_unlock", "core.services:calendar_year_load",
            "org.services:admin_site_access_set"} <= {key.removeprefix("lifecrm.") for key in services}
    assert len(services) > 30
    passing = checked(functions)
    assert "lifecrm.billing.services:payment_record" in passing
    assert "lifecrm.org.logins:login_unlock" in passing


def test_a_function_without_a_check_is_caught(tmp_path):
    source = ("from lifecrm.org.access import authorize\n"
              "def good(*, actor):\n    authorize(actor, 'x')\n"
              "def delegates(*, actor):\n    return good(actor=actor)\n"
              "def bad(*, actor, policy_id):\n    return policy_id\n")
    tree = ast.parse(source)
    imported = imports(tree, "lifecrm.fake.services")
    functions = {f"lifecrm.fake.services:{n.name}": Function("lifecrm.fake.services", n.name, n,
                                                             called(n, "lifecrm.fake.services", imported))
                 for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert checked(functions) == {"lifecrm.fake.services:good", "lifecrm.fake.services:delegates"}


def test_every_public_service_checks_its_actor_or_is_allowed_by_name():
    functions = scan()
    passing = checked(functions)
    unchecked = sorted(key.removeprefix("lifecrm.") for key, f in functions.items()
                       if f.is_service and key not in passing)
    unexplained = [key for key in unchecked if key not in ALLOW_LIST]
    assert not unexplained, (
        "these services check no actor: call org.access.authorize(actor, Action…) (or core.actors."
        "require_model_permissions in core), or add them to ALLOW_LIST with the reason: " + ", ".join(unexplained))
    stale = sorted(set(ALLOW_LIST) - set(unchecked))
    assert not stale, f"ALLOW_LIST names services that now check, or no longer exist: {stale}"
