"""The import graph of the project, read from the source with `ast` (nothing is imported).

Every `import` and `from … import …` of `surveys/`, `materiality/` and `config/` counts,
inside functions too (they run the first time the function does), except under
`if TYPE_CHECKING:` (never run). Relative imports are resolved; `from package import name`
is an import of the submodule `package.name` when there is one. A package's `__init__` is
not counted as imported by its submodules: Python runs it first, but a cycle through it
is harmless, and counting it would turn every package that re-exports its submodules
(`materiality/scoring/__init__.py`) into a cycle.

The rules (STYLE.md): imports point one way and the graph has no cycle; `surveys` knows
nothing of `materiality` (it calls it only through a hook named in settings) nor of
`config`; `scoring/` and `plots/` reach no models; no module imports a tasks module
(services send tasks by name after commit). Checking that a package's `__init__` imports
no internals of its submodules in a cycle is the cycle rule itself, so it has no test of
its own.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_PACKAGES = ("surveys", "materiality", "config")
SKIPPED_FOLDERS = {"migrations", "__pycache__"}


@dataclass(frozen=True)
class Module:
    name: str  # "materiality.views.results"
    path: str  # "materiality/views/results.py", for messages
    source: str
    is_package: bool  # an __init__.py


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    path: str  # the importer's file
    line: int
    statement: str  # the import as written, on one line
    target: str  # absolute dotted name: a module, or for `from x import y` maybe "x.y"
    module: str | None  # the project module it maps to; None outside the project
    in_function: bool

    @property
    def where(self) -> str:
        inside = " (in a function)" if self.in_function else ""
        return f"{self.path}:{self.line}{inside}: {self.statement}"


def _lines(imports: Iterable[Import]) -> list[str]:
    """Each import statement once (`from x import a, b` is two imports on one line)."""
    return list(dict.fromkeys(item.where for item in imports))


def _listing(imports: Iterable[Import]) -> str:
    return "\n".join(f"  {where}" for where in _lines(imports))


# --- Reading the source ---------------------------------------------------------------


def project_modules(root: Path = ROOT, packages: Iterable[str] = TOP_PACKAGES) -> list[Module]:
    modules = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if SKIPPED_FOLDERS & set(relative.parts[:-1]):
                continue
            parts = list(relative.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules.append(
                Module(
                    name=".".join(parts),
                    path=relative.as_posix(),
                    source=path.read_text(encoding="utf-8"),
                    is_package=is_package,
                )
            )
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve_relative(module: Module, level: int, name: str | None) -> str:
    # The package a relative import starts from: the module's own package, or the
    # package itself for an __init__; each further dot goes one package up.
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    if level - 1 > len(package) - 1:
        raise ValueError(f"{module.path}: relative import beyond the top-level package")
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _project_module(name: str, known: set[str]) -> str | None:
    """The project module `name` is, or lies in (`a.b.c` -> `a.b` when `a.b` is a module)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: Module, known: set[str]) -> None:
        self.module = module
        self.known = known
        self.imports: list[Import] = []
        self.depth = 0  # how many functions we are inside

    def _add(self, node: ast.Import | ast.ImportFrom, target: str) -> None:
        self.imports.append(
            Import(
                importer=self.module.name,
                path=self.module.path,
                line=node.lineno,
                statement=ast.unparse(node),
                target=target,
                module=_project_module(target, self.known),
                in_function=self.depth > 0,
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = _resolve_relative(self.module, node.level, node.module)
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in self.known:
                self._add(node, submodule)
            else:
                # A name defined in `base` (or outside the project, where we cannot tell):
                # keep "base.name" so that `from django.contrib.auth import models` reads
                # as what it is; it maps to the project module `base` all the same.
                self._add(node, submodule if alias.name != "*" else base)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                self.visit(child)
            return
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function


def collect_imports(modules: Iterable[Module]) -> list[Import]:
    modules = list(modules)
    known = {module.name for module in modules}
    imports: list[Import] = []
    for module in modules:
        collector = _ImportCollector(module, known)
        collector.visit(ast.parse(module.source, filename=module.path))
        imports.extend(collector.imports)
    return imports


# --- The graph ------------------------------------------------------------------------

Graph = Mapping[str, Mapping[str, list[Import]]]  # importer -> imported -> import lines


def project_graph(imports: Iterable[Import]) -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for item in imports:
        # A module naming itself (`from materiality.plots import x` in its __init__)
        # does nothing at run time.
        if item.module is not None and item.module != item.importer:
            graph[item.importer][item.module].append(item)
    return {name: dict(edges) for name, edges in graph.items()}


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, without recursion (the graph can be deep). Components of more
    than one module, each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    nodes = sorted(set(graph) | {target for edges in graph.values() for target in edges})

    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


def _shortest_path(graph: Graph, start: str, goal: str, allowed: set[str]) -> list[str] | None:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (before := previous[path[-1]]) is not None:
                path.append(before)
            return path[::-1]
        for child in sorted(graph.get(node, {})):
            if child in allowed and child not in previous:
                previous[child] = node
                queue.append(child)
    return None


def cycles(graph: Graph, component: list[str]) -> list[list[str]]:
    """For every import inside the component, the shortest cycle through it: every edge
    that keeps the modules tied together is shown at least once. Each cycle starts at
    its smallest name, so the same cycle found from two edges is listed once."""
    members = set(component)
    found: dict[tuple[str, ...], list[str]] = {}
    for importer in component:
        for imported in sorted(graph.get(importer, {})):
            if imported not in members:
                continue
            back = _shortest_path(graph, imported, importer, members)
            assert back is not None, "a strongly connected component is connected"
            loop = [importer, *back[:-1]]
            first = loop.index(min(loop))
            loop = loop[first:] + loop[:first]
            found.setdefault(tuple(loop), [*loop, loop[0]])
    return sorted(found.values(), key=lambda chain: (len(chain), chain))


def describe_cycles(graph: Graph) -> str:
    lines = []
    for component in strongly_connected(graph):
        lines.append(f"modules that import each other: {', '.join(component)}")
        for chain in cycles(graph, component):
            lines.append("  " + " -> ".join(chain))
            for importer, imported in itertools.pairwise(chain):
                lines.extend(f"      {where}" for where in _lines(graph[importer][imported]))
    return "\n".join(lines)


# --- The rules ------------------------------------------------------------------------


def _in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def _is_models(item: Import) -> bool:
    """An import that loads Django models: django.db, a project `models` module (or
    package), a `django.contrib.<app>.models`."""
    if _in_package(item.target, "django.db"):
        return True
    if item.module is not None:
        return "models" in item.module.split(".")
    parts = item.target.split(".")
    return parts[:2] == ["django", "contrib"] and "models" in parts[3:]


def _is_tasks(name: str) -> bool:
    return "tasks" in name.split(".")


def imports_from(imports: Iterable[Import], *, importer: str, of: Iterable[str]) -> list[Import]:
    """The imports by `importer` (a package, with its submodules) of any of `of`."""
    return [
        item
        for item in imports
        if _in_package(item.importer, importer)
        and any(_in_package(item.target, package) for package in of)
    ]


def tasks_imports(imports: Iterable[Import]) -> list[Import]:
    """Imports of a tasks module (or package) by any module but another tasks module."""
    return [
        item
        for item in imports
        if item.module is not None and _is_tasks(item.module) and not _is_tasks(item.importer)
    ]


def reachable(graph: Graph, start: str) -> dict[str, list[str]]:
    """Every project module `start` imports, directly or not, with the chain that gets there."""
    chains = {start: [start]}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph.get(node, {})):
            if child not in chains:
                chains[child] = [*chains[node], child]
                queue.append(child)
    return chains


def model_imports_below(imports: list[Import], packages: Iterable[str]) -> list[str]:
    """Every import of models by the packages, or by any project module they import."""
    graph = project_graph(imports)
    by_importer: dict[str, list[Import]] = defaultdict(list)
    for item in imports:
        by_importer[item.importer].append(item)
    starts = sorted(
        {item.importer for item in imports if any(_in_package(item.importer, p) for p in packages)}
    )
    offences: dict[tuple[str, int], str] = {}
    for start in starts:
        for module, chain in reachable(graph, start).items():
            for item in by_importer[module]:
                if _is_models(item):
                    via = "" if len(chain) == 1 else f"  (reached by {' -> '.join(chain)})"
                    offences.setdefault((item.path, item.line), f"  {item.where}{via}")
    return [offences[key] for key in sorted(offences)]


# --- The project's graph --------------------------------------------------------------

MODULES = project_modules()
IMPORTS = collect_imports(MODULES)
GRAPH = project_graph(IMPORTS)


def test_the_whole_project_is_read() -> None:
    # A broken walk (wrong root, everything skipped) must not make the rules pass.
    names = {module.name for module in MODULES}
    assert len(MODULES) >= 60, names
    assert {"surveys.models", "materiality.models", "config.settings"} <= names
    assert not any(".migrations" in name for name in names)
    assert len(IMPORTS) >= 500


def test_no_module_imports_itself_back_through_others() -> None:
    report = describe_cycles(GRAPH)
    assert not report, (
        "Import cycles (imports inside functions count; `if TYPE_CHECKING:` ones do not). "
        "Break each by moving the shared code down into a module both can import:\n" + report
    )


def test_the_survey_engine_knows_nothing_of_materiality_or_config() -> None:
    # `surveys` reaches `materiality` only through SURVEYS_SUBMIT_HOOKS (dotted paths in
    # settings). It imports nothing from `config` today, not even `config.environment`.
    offending = imports_from(IMPORTS, importer="surveys", of=("materiality", "config"))
    assert not offending, "surveys imports materiality or config:\n" + _listing(offending)


def test_scoring_and_plots_reach_no_models() -> None:
    offences = model_imports_below(IMPORTS, ("materiality.scoring", "materiality.plots"))
    assert not offences, (
        "materiality.scoring and materiality.plots take plain data: neither they nor the "
        "project modules they import may load Django models:\n" + "\n".join(offences)
    )


def test_nothing_imports_a_tasks_module() -> None:
    # Celery's autodiscovery imports `<app>.tasks`; code sends a task by name after commit
    # through one helper, so that web processes never need the task functions. A tasks
    # module (or package) may import other tasks modules and any service.
    offending = tasks_imports(IMPORTS)
    assert not offending, "tasks modules imported by other project modules:\n" + _listing(offending)


# --- The checker, on modules whose graph is known -------------------------------------


def _synthetic(files: Mapping[str, str]) -> list[Module]:
    modules = []
    for path, source in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules.append(Module(".".join(parts), path, source, is_package))
    return modules


SYNTHETIC = {
    "app/__init__.py": "",
    # Re-exports a submodule: not a cycle with the submodules importing nothing back.
    "app/core/__init__.py": "from .engine import run\n",
    "app/core/engine.py": "import math\n\ndef run():\n    return math.pi\n",
    # a -> b at the top; b -> a only inside a function: still a cycle.
    "app/a.py": "from app import b\nfrom app.core import run\n",
    "app/b.py": "def later():\n    from .a import thing\n    return thing\n",
    # c -> a only for type checkers: not a cycle. Its else branch runs, though.
    "app/c.py": (
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "from . import d\n"
        "if TYPE_CHECKING:\n"
        "    from app.a import thing\n"
        "if typing.TYPE_CHECKING:\n"
        "    import app.b\n"
        "else:\n"
        "    from django.db import models\n"
    ),
    "app/d.py": "from .c import nothing\n",  # d -> c: a second cycle, c <-> d
    "app/core/extra.py": "from .. import d\n",  # two dots: app, whose submodule d
    # A tasks module may import services, and nothing may import it.
    "app/tasks.py": "from app.core.engine import run\n",
    "app/views.py": "def go():\n    from app.tasks import job\n",
    # Another top-level package, which may not know `app`.
    "lib/__init__.py": "",
    "lib/engine.py": "import app.core\n\ndef hook():\n    from app.a import thing\n",
}


def test_the_checker_finds_cycles_through_functions_but_not_type_checking_imports() -> None:
    imports = collect_imports(_synthetic(SYNTHETIC))
    graph = project_graph(imports)
    assert set(graph["app.a"]) == {"app.b", "app.core"}
    assert [(i.line, i.in_function) for i in graph["app.b"]["app.a"]] == [(2, True)]
    assert set(graph["app.c"]) == {"app.d"}  # both TYPE_CHECKING imports left out
    assert set(graph["app.core"]) == {"app.core.engine"}
    assert strongly_connected(graph) == [["app.a", "app.b"], ["app.c", "app.d"]]
    assert cycles(graph, ["app.a", "app.b"]) == [["app.a", "app.b", "app.a"]]
    report = describe_cycles(graph)
    assert "  app.a -> app.b -> app.a\n" in report
    assert "      app/a.py:1: from app import b\n" in report
    assert "      app/b.py:2 (in a function): from .a import thing\n" in report
    assert "app/c.py:5" not in report


def test_the_checker_resolves_names_and_applies_the_rules() -> None:
    imports = collect_imports(_synthetic(SYNTHETIC))
    targets = {(i.importer, i.target, i.module) for i in imports}
    assert ("app.c", "django.db.models", None) in targets  # the else branch counts
    assert ("app.d", "app.c.nothing", "app.c") in targets
    assert ("app.core.extra", "app.d", "app.d") in targets
    assert ("app.a", "app.core.run", "app.core") in targets
    assert model_imports_below(imports, ["app.core.engine"]) == []
    assert model_imports_below(imports, ["app.d"]) == [
        "  app/c.py:9: from django.db import models  (reached by app.d -> app.c)"
    ]
    assert _lines(tasks_imports(imports)) == [
        "app/views.py:2 (in a function): from app.tasks import job"
    ]
    assert _lines(imports_from(imports, importer="lib", of=["app.a", "app.b"])) == [
        "lib/engine.py:4 (in a function): from app.a import thing"
    ]
    assert len(imports_from(imports, importer="lib", of=["app"])) == 2


def test_the_checker_finds_a_longer_cycle_and_every_edge_of_it() -> None:
    graph = {
        "m.a": {"m.b": []},
        "m.b": {"m.c": []},
        "m.c": {"m.a": [], "m.b": []},
        "m.x": {"m.a": []},
    }
    assert strongly_connected(graph) == [["m.a", "m.b", "m.c"]]
    assert cycles(graph, ["m.a", "m.b", "m.c"]) == [
        ["m.b", "m.c", "m.b"],
        ["m.a", "m.b", "m.c", "m.a"],
    ]


# --- One writer per table ---------------------------------------------------------------

_WRITES = (
    r"\.objects(?:\.[a-z_]+\([^()]*\))*"
    r"\.(?:create|bulk_create|update|delete|get_or_create|update_or_create|bulk_update)\("
)


def test_materiality_writes_no_surveys_table_itself() -> None:
    """The surveys engine's services are the only writers of its tables: materiality
    asks them (surveys.services, surveys.bulk), whoever collects the replies."""
    from django.apps import apps

    names = [model.__name__ for model in apps.get_app_config("surveys").get_models()]
    pattern = re.compile(rf"\b(?:{'|'.join(names)}){_WRITES}")
    offences = [
        f"{path}:{number}: {line.strip()}"
        for path in sorted(Path("materiality").rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offences, "materiality writes surveys tables itself:\n" + "\n".join(offences)


def test_the_writer_check_sees_a_write() -> None:
    pattern = re.compile(rf"\bSurvey{_WRITES}")
    assert pattern.search("Survey.objects.filter(pk=1).update(allow_open_link=True)")
    assert pattern.search("Survey.objects.create(title={})")
    assert not pattern.search("Survey.objects.select_for_update().get(pk=1)")
