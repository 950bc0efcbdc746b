"""The layers, read from the imports: lower layers never import higher ones, and lib/ has no import cycle.

From the bottom: the vocabulary (errors, config, units, enums), the classification, the models, the shared
core (db, access, audit, ledger, tags, images, presets), the one AI client path (lib.llm: client, prompts,
credit metering and budget), then the domains in the order they build on each other (workspace, inventory,
products, orders, production; an AI feature serving one domain sits beside it, e.g. lib.orders.lines_ai), the
AI features that read several domains (lib.ai: the product summary and its grounding check), the demo loader
and the command line, then ui/, then the pages. A module may import its own layer or lower ones.
"""
from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[str, ...]] = [
    ("lib.errors", "lib.config", "lib.units", "lib.enums", "lib.spreadsheet", "lib.text"),
    ("lib.classification",),
    ("lib.models",),
    ("lib.db", "lib.bulk", "lib.access", "lib.audit", "lib.ledger", "lib.tags", "lib.sequences", "lib.names",
     "lib.images", "lib.presets"),
    ("lib.llm",),
    ("lib.workspace",),
    ("lib.inventory",),
    ("lib.costing",),
    ("lib.products",),
    ("lib.orders",),
    ("lib.production",),
    ("lib.ai",),
    ("lib.reports",),
    ("lib.documents",),
    ("lib.demo",),
    ("lib.cli",),
    ("ui",),
    ("pages", "app"),
]


def layer_of(module: str) -> int:
    """The layer of a project module: the longest matching prefix wins (lib.inventory.stock before lib.inventory)."""
    best, best_length = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports(path: Path) -> set[str]:
    """Project modules imported anywhere in the file (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("lib", "ui", "pages", "app") and name not in ("lib", "ui") and _exists(name):
                found.add(name)
    return found


def _exists(module: str) -> bool:
    base = PROJECT.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def source_files() -> list[Path]:
    files = [PROJECT / "app.py"]
    for folder in ("lib", "ui", "pages"):
        files.extend(sorted((PROJECT / folder).rglob("*.py")))
    return files


def test_no_module_imports_a_higher_layer():
    wrong = []
    for path in source_files():
        name = module_name(path)
        for imported in project_imports(path):
            if layer_of(imported) > layer_of(name):
                wrong.append(f"{name} (layer {layer_of(name)}) imports {imported} (layer {layer_of(imported)})")
    assert wrong == []


def test_lib_has_no_import_cycle():
    graph = {module_name(path): {name for name in project_imports(path) if name.startswith("lib")}
             for path in source_files() if module_name(path).startswith("lib")}
    # `from lib.x import y` names lib.x.y, which is lib.x unless y is a module: keep real modules only.
    graph = {name: {target for target in targets if target in graph and target != name}
             for name, targets in graph.items()}
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_lib_never_imports_streamlit():
    offenders = [module_name(path) for path in (PROJECT / "lib").rglob("*.py")
                 if any(name.split(".")[0] == "streamlit" for name in _all_imports(path))]
    assert offenders == []


def _all_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_layer_rule_would_catch_an_upward_import(tmp_path):
    """The checks above read real imports: an inventory module importing ui is found."""
    assert layer_of("ui.feedback") > layer_of("lib.inventory.stock")
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from ui import feedback\n")
    assert project_imports(sample) == {"ui.feedback"}


def test_the_ai_client_path_sits_below_every_domain_and_the_features_above_it():
    """Item 5 of issue 17: lib.llm (client, prompts, metering) below the domains; features import it, never back."""
    assert layer_of("lib.llm.client") < layer_of("lib.workspace") < layer_of("lib.orders.lines_ai")
    assert layer_of("lib.production") < layer_of("lib.ai.summaries")
    importers_of_llm = {module_name(path) for path in source_files()
                        if any(name == "lib.llm" or name.startswith("lib.llm.") for name in project_imports(path))}
    assert {"lib.ai.summaries", "lib.orders.lines_ai"} <= importers_of_llm
    llm_imports = {name for path in (PROJECT / "lib" / "llm").rglob("*.py") for name in project_imports(path)}
    assert not {name for name in llm_imports if name.split(".")[1] in (
        "ai", "workspace", "inventory", "products", "orders", "production")}
