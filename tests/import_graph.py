"""The import graph of a package, read from the source (AST), and the project's layer rules.

Every ``import`` counts: at module level, inside functions, under ``if TYPE_CHECKING``. An arrow
``a -> b`` means module ``a`` imports something from module ``b`` (``from pkg import name`` points
at ``pkg.name`` when that is a module, else at ``pkg``). The rules themselves are data (``LAYERS``,
``FORBIDDEN``) so that tests can feed the checker synthetic graphs and show it fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

#: lowest first; a module may import only from its own layer or a lower one. A module belongs to the
#: layer of the longest prefix listed (``imgcheck.video.check`` is engine, the rest of video signals).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("values", ("imgcheck.types", "imgcheck.errors", "imgcheck.settings", "imgcheck.i18n",
                "imgcheck.messages", "imgcheck.strength", "imgcheck.contract", "imgcheck.offline",
                "imgcheck.threads", "imgcheck.load", "imgcheck.models", "imgcheck.terminal",
                "imgcheck.csvsafe", "imgcheck.video.limits", "imgcheck.formats")),
    ("signals", ("imgcheck.hashing", "imgcheck.local_features", "imgcheck.faces", "imgcheck.ai_pixels",
                 "imgcheck.provenance", "imgcheck.watermark", "imgcheck.video")),
    ("bank", ("imgcheck.bank",)),
    ("checks", ("imgcheck.checks", "imgcheck.verdict")),
    ("engine", ("imgcheck.engine", "imgcheck.video.check")),
    ("batch", ("imgcheck.batch", "imgcheck.examples", "imgcheck.user_bank")),
    ("cli/app", ("imgcheck", "imgcheck.cli", "imgcheck.cli_scan", "imgcheck.cli_detector", "imgcheck.app")),
)
#: the package root (``imgcheck/__init__.py``, the library's front door) names only itself: a new
#: module must be placed in a layer on purpose, not fall into the top one

#: arrows forbidden even where the layer order would allow them: (importer prefix, imported prefix, why)
FORBIDDEN: tuple[tuple[str, str, str], ...] = (
    ("imgcheck.app", "imgcheck.bank", "the app reaches the bank through the Engine"),
)

#: arrows that break a rule today and are being removed (issue #18); the test fails on any other
#: violation, and on an entry here that no longer occurs (so the list only shrinks)
KNOWN: frozenset[str] = frozenset()


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root`` (the folder of ``package``)."""
    mods: dict[str, Path] = {}
    for p in sorted(root.rglob("*.py")):
        parts = [package, *p.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    mods = module_files(root, package)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    name = ".".join(base + ([node.module] if node.module else []))
                else:
                    name = node.module or ""
                targets = [f"{name}.{a.name}" if f"{name}.{a.name}" in mods else name for a in node.names]
            for t in targets:
                if t == package or t.startswith(package + "."):
                    r = resolve(t)
                    if r and r != mod:
                        graph[mod].add(r)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _prefix_match(module: str, prefix: str) -> bool:
    if "." not in prefix:  # the package root names itself only
        return module == prefix
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str, layers=LAYERS) -> tuple[int, str] | None:
    """(rank, layer name) of the longest matching prefix, or None for a module no layer names."""
    best: tuple[int, int, str] | None = None
    for rank, (name, prefixes) in enumerate(layers):
        for p in prefixes:
            if _prefix_match(module, p) and (best is None or len(p) > best[0]):
                best = (len(p), rank, name)
    return None if best is None else (best[1], best[2])


def violations(graph: Mapping[str, Iterable[str]], layers=LAYERS, forbidden=FORBIDDEN) -> list[str]:
    """Every arrow against the layer order or the forbidden list, and every module in no layer."""
    found: list[str] = []
    for mod in sorted(graph):
        lm = layer_of(mod, layers)
        if lm is None:
            found.append(f"{mod} is in no layer (add it to LAYERS and docs/architecture.md)")
            continue
        for dep in sorted(graph[mod]):
            ld = layer_of(dep, layers)
            if ld is not None and ld[0] > lm[0]:
                found.append(f"{mod} -> {dep}: against the layer order ({lm[1]} imports {ld[1]})")
            for src, dst, why in forbidden:
                if _prefix_match(mod, src) and _prefix_match(dep, dst):
                    found.append(f"{mod} -> {dep}: forbidden ({why})")
    return found


def arrow(violation: str) -> str:
    """``"a -> b"`` of a violation line (the key of ``KNOWN``)."""
    return violation.split(":", 1)[0]
