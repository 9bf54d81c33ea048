"""The floors of src/vaultline (docs/architecture.md), read from the source with ``ast``: every
import counts, at module level or inside a function. The routes (``api``, ``hosted``) are on
top and imported only by the app and the CLI's ``serve``; below them, no two top-level parts
import each other; tokens are decoded in one place; a connection id is spelled in one place."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "vaultline"
ROUTES = {"api", "hosted"}
# Above the routes: the ASGI app, and the CLI command that serves it.
MAY_IMPORT_ROUTES = {"vaultline.app", "vaultline.cli.serve_command"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    """``vaultline.connections.offered`` → ``connections``; ``vaultline.runtime`` → ``runtime``."""
    return module.split(".")[1] if "." in module else ""


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The modules an ``from … import …`` reaches, relative ones made absolute."""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if node.module is None:  # "from . import x": x is a module
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:  # Alembic's scripts import nothing of ours at run time
            continue
        found[_module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def _imports() -> dict[str, set[str]]:
    """Module → the vaultline modules it imports, anywhere in its body."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, (path, tree) in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = _resolve(module, path, node)
            else:
                continue
            graph[module].update(n for n in names if n == "vaultline" or n.startswith("vaultline."))
    return graph


def test_the_import_reader_sees_function_level_and_relative_imports() -> None:
    source = "import vaultline.a\nfrom .b import c\ndef f():\n    from vaultline.d import e\n"
    tree = ast.parse(source)
    path = PACKAGE / "x" / "y.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.update(_resolve("vaultline.x.y", path, node))
    assert found == {"vaultline.a", "vaultline.x.b", "vaultline.d"}


def test_only_the_app_and_serve_import_the_routes() -> None:
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        for target in targets
        if _part(target) in ROUTES
        and _part(module) != _part(target)  # a floor may import its own modules
        and module not in MAY_IMPORT_ROUTES
    )
    assert not offenders, "Only vaultline.app and the CLI's serve import api/ and hosted/:\n" + "\n".join(offenders)


def test_no_two_top_level_parts_import_each_other() -> None:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, targets in _imports().items():
        for target in targets:
            if _part(module) and _part(target) and _part(module) != _part(target):
                edges[(_part(module), _part(target))].append(f"{module} → {target}")
    pairs = sorted({tuple(sorted(pair)) for pair in edges if (pair[1], pair[0]) in edges})
    details = [f"{a} ↔ {b}:\n    " + "\n    ".join(sorted(edges[(a, b)] + edges[(b, a)])) for a, b in pairs]
    assert not pairs, "Top-level parts that import each other:\n" + "\n".join(details)


def test_the_top_level_parts_form_layers_without_cycles() -> None:
    """Stricter than pairs: no longer loop either (a → b → c → a)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            if _part(module) and _part(target) and _part(module) != _part(target):
                graph[_part(module)].add(_part(target))
    done: set[str] = set()
    path: list[str] = []

    def visit(part: str) -> list[str] | None:
        if part in path:
            return [*path[path.index(part) :], part]
        if part in done:
            return None
        path.append(part)
        for target in sorted(graph[part]):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(part)
        return None

    for part in sorted(graph):
        cycle = visit(part)
        assert cycle is None, "Import cycle between top-level parts: " + " → ".join(cycle or [])


def _calls(name: str, attribute: str) -> list[str]:
    return [
        f"{_module_name(path)}:{node.lineno}"
        for path, tree in _sources().values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
    ]


def test_one_jwt_decode_call_site() -> None:
    sites = _calls("jwt", "decode")
    assert len(sites) == 1, f"Tokens are decoded in tokens/ only, once: {sites}"
    assert sites[0].startswith("vaultline.tokens."), sites


def _joins_unified_api_and_service_id(node: ast.JoinedStr) -> bool:
    """An f-string with ``{…unified_api…}+{…service_id…}``: the connection id format."""
    values = node.values
    for left, middle, right in zip(values, values[1:], values[2:], strict=False):
        if (
            isinstance(left, ast.FormattedValue)
            and isinstance(middle, ast.Constant)
            and middle.value == "+"
            and isinstance(right, ast.FormattedValue)
            and "unified_api" in ast.unparse(left.value)
            and "service_id" in ast.unparse(right.value)
        ):
            return True
    return False


def test_the_connection_id_format_is_spelled_once() -> None:
    spelled = [
        f"{_module_name(path)}:{node.lineno}"
        for path, tree in _sources().values()
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr) and _joins_unified_api_and_service_id(node)
    ]
    owners = {site.partition(":")[0] for site in spelled}
    assert len(spelled) == 1 and owners == {"vaultline.connection_ids"}, (
        f"Build connection ids with vaultline.connection_ids.connection_id, not by hand: {spelled}"
    )


@pytest.mark.parametrize(
    "source",
    ['f"{unified_api}+{service_id}"', 'f"{record.unified_api}+{record.service_id!s}"'],
)
def test_the_connection_id_check_recognises_the_format(source: str) -> None:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.JoinedStr) and _joins_unified_api_and_service_id(node)


def _narrowing_asserts(tree: ast.Module) -> list[int]:
    """Lines of ``assert x is not None``: a narrowing that belongs in a return type."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
        and isinstance(node.test, ast.Compare)
        and [type(op) for op in node.test.ops] == [ast.IsNot]
        and isinstance(node.test.comparators[0], ast.Constant)
        and node.test.comparators[0].value is None
    ]


def test_no_narrowing_asserts() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path, tree in _sources().values()
        for line in _narrowing_asserts(tree)
    ]
    assert not found, f"`assert x is not None` narrows a type that should say so (docs/architecture.md): {found}"


def test_the_narrowing_check_recognises_the_pattern() -> None:
    assert _narrowing_asserts(ast.parse("def f(x):\n    assert x is not None\n")) == [2]
    assert _narrowing_asserts(ast.parse("def f(x):\n    assert x is None\n    assert isinstance(x, int)\n")) == []
