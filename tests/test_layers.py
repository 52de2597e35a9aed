"""The import contract: core < adapters < app < tasks < flows < cli; reports on the core only.

Every import statement of every module (at the top, inside functions, under TYPE_CHECKING) is
held against the table below; docs/architecture.md explains the layers. A planted back-up
import in a copy of the tree must be reported, so the check itself is shown to work.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("kitflow", "flows", "tasks", "config", "reports", "benchmarks")

# The I/O adapters: the only code that opens files, databases and mail servers for the app.
ADAPTERS = (
    "kitflow.readers",
    "kitflow.formats",
    "kitflow.publish",
    "kitflow.lock",
    "kitflow.mail",
    "kitflow.outbox",
)

# Layer of a module (the longest matching prefix wins) -> what it may import of ours.
# Prefect is forbidden where `prefect` is not listed; private Prefect (`prefect._…`) everywhere.
ALLOWED: dict[str, tuple[str, ...]] = {
    "kitflow": (),  # the package's __init__
    "kitflow.core": ("kitflow.core",),
    "config": ("config", "prefect"),
    "reports": ("reports", "kitflow.core"),
    **{adapter: ("kitflow.core", "config", "prefect", *ADAPTERS) for adapter in ADAPTERS},
    "kitflow.app": ("kitflow.app", "kitflow.core", "reports", "config", *ADAPTERS),
    "tasks": ("tasks", "kitflow.app", "kitflow.core", "reports", "config", "prefect", *ADAPTERS),
    "flows": (
        "flows",
        "tasks",
        "kitflow.app",
        "kitflow.core",
        "reports",
        "config",
        "prefect",
        *ADAPTERS,
    ),
    "kitflow.cli": ("kitflow", "flows", "config", "prefect"),
    # The benchmark times the readers themselves, beside the app's steps.
    "benchmarks": (
        "benchmarks",
        "kitflow.app",
        "kitflow.core",
        "reports",
        "config",
        "prefect",
        *ADAPTERS,
    ),
}
OURS = PACKAGES


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _layer(module: str) -> str:
    return max((p for p in ALLOWED if _within(module, p)), key=len)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from kitflow import publish` imports kitflow.publish: judge the submodule.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(root: Path) -> list[str]:
    """Every import that breaks the contract, as `file:line: module imports target`."""
    out = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = _module_name(path, root)
            allowed = ALLOWED[_layer(module)]
            for line, target in _imports(path, module):
                top = target.split(".")[0]
                where = f"{path.relative_to(root)}:{line}"
                if top == "prefect":
                    if any(part.startswith("_") for part in target.split(".")[1:-1]):
                        out.append(f"{where}: {module} imports private Prefect ({target})")
                    elif "prefect" not in allowed:
                        out.append(f"{where}: {module} ({_layer(module)}) imports Prefect")
                    continue
                if top not in OURS:
                    continue
                if not any(_within(target, a) or _within(a, target) for a in allowed):
                    out.append(f"{where}: {module} ({_layer(module)}) imports {target}")
    return out


def test_every_import_keeps_to_the_layers():
    assert violations(REPO) == []


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    return tmp_path


def test_a_planted_back_up_import_is_reported(tmp_path):
    root = _copy(tmp_path)
    money = root / "kitflow" / "core" / "money.py"
    money.write_text(money.read_text() + "\nfrom flows.nightly import afstemning\n")
    pdf = root / "reports" / "format.py"
    pdf.write_text(pdf.read_text() + "\ndef f():\n    from kitflow.app.settings import today\n")
    app = root / "kitflow" / "app" / "settings.py"
    app.write_text(app.read_text() + "\nimport prefect\n")
    conf = root / "config" / "schedule_settings.py"
    conf.write_text(conf.read_text() + "\nfrom prefect._internal.schemas import validators\n")

    # Only what was planted counts here; the real tree is the other test's business.
    already = set(violations(REPO))
    found = [line for line in violations(root) if line not in already]

    assert [line.split(": ", 1)[1] for line in found] == [
        "kitflow.app.settings (kitflow.app) imports Prefect",
        "kitflow.core.money (kitflow.core) imports flows.nightly.afstemning",
        "config.schedule_settings imports private Prefect (prefect._internal.schemas.validators)",
        "reports.format (reports) imports kitflow.app.settings.today",
    ], found
    assert all(line.split(":")[0].endswith(".py") for line in found)
