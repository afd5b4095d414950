"""The code base keeps its shape: no import cycles (imports inside functions count), every
import points down the layers, and a build with nothing to do imports no heavy library."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syndicate"

# Lower layers never import higher ones; a module may import its own layer's modules.
LAYERS: tuple[tuple[str, ...], ...] = (
    # core: records, settings, errors, paths and URLs, small helpers with no flow of their own
    (
        "version",
        "errors",
        "podcast_categories",
        "model",
        "config",
        "urls",
        "files",
        "dates",
        "clean",
        "layout",
        "lock",
        "workers",
        "stopping",
    ),
    ("posts", "wordpress"),  # reading our own posts; writing them from a WordPress export
    ("render",),  # data in, bytes out
    ("archive",),  # the store both flows use (takes our posts as copies)
    ("site", "aggregate"),  # the two flows, which do not import each other
    ("publish", "serve"),
    ("api", "cli", "__main__", "__init__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every syndicate module this file imports, at any depth, but for `if TYPE_CHECKING:`."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            continue
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("syndicate"):
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("syndicate"):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target in imported(path, known) if target != name and target in known}
        for name, path in known.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def layer_of(module: str) -> int:
    top = module.removeprefix("syndicate").lstrip(".").split(".")[0] or "__init__"
    for number, names in enumerate(LAYERS):
        if top in names:
            return number
    raise AssertionError(f"{module}: in no layer of tests/test_shape.py (add it to one)")


def test_there_is_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_every_import_points_down_the_layers() -> None:
    upward = [
        f"{source} -> {target}"
        for source, targets in import_graph().items()
        for target in targets
        if layer_of(target) > layer_of(source)
    ]
    assert upward == []


def test_the_two_flows_do_not_import_each_other() -> None:
    def flow(module: str) -> str:
        return module.split(".")[1] if module.count(".") else ""

    crossing = [
        f"{source} -> {target}"
        for source, targets in import_graph().items()
        for target in targets
        if {flow(source), flow(target)} == {"site", "aggregate"}
    ]
    assert crossing == []


def test_the_wordpress_importer_stands_on_the_core_and_the_posts_alone() -> None:
    """It writes post files for the posts layer to read: it may use the core and syndicate.posts,
    and only the commands above everything may use it (the posts layer never needs it)."""
    core = LAYERS[0]
    graph = import_graph()
    outside = [
        f"{source} -> {target}"
        for source, targets in graph.items()
        if source.startswith("syndicate.wordpress")
        for target in targets
        if not target.startswith(("syndicate.wordpress", "syndicate.posts"))
        and target.removeprefix("syndicate.").split(".")[0] not in core
    ]
    users = [
        f"{source} -> {target}"
        for source, targets in graph.items()
        if not source.startswith("syndicate.wordpress")
        for target in targets
        if target.startswith("syndicate.wordpress") and layer_of(source) < len(LAYERS) - 1
    ]
    assert outside == [] and users == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


HEAVY = ("feedgen", "lxml", "cmarkgfm", "jinja2", "yaml", "requests", "feedparser", "nh3")


def test_a_build_with_nothing_to_do_imports_no_heavy_library(
    seed_posts: Path, tmp_path: Path
) -> None:
    """reader's test_lazy_imports: a cron run that finds nothing changed stays cheap."""
    output = tmp_path / "out"
    env = {"SYNDICATE_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "syndicate", "build", str(seed_posts), "-o", str(output)]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    probe = (
        "import sys\n"
        "from syndicate.cli import main\n"
        f"sys.argv = {['syndicate', 'build', str(seed_posts), '-o', str(output)]!r}\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})\n"
        "print('exit', code, 'heavy', ','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.split(" heavy")[0] in ("exit 0", "exit 1"), done.stdout + done.stderr
    assert last.partition(" heavy")[2].strip() == "", f"imported: {last}"


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_module_imports_on_its_own(module: str) -> None:
    """In a fresh interpreter, so that an order of imports that hides a cycle cannot."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
