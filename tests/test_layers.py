"""The layers of docs/architecture.md, enforced on the import graph of imgcheck/ (tests/import_graph.py):
no cycle, no arrow against the layer order, none of the forbidden arrows, every module in a layer,
and the folder map of docs/architecture.md naming every package folder. The checker is shown to fail
on deliberate breaks (synthetic graphs and a temporary package with a forbidden import)."""

from __future__ import annotations

import re
from pathlib import Path

import import_graph as ig
import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "imgcheck"
ARCH_DOC = REPO / "docs" / "architecture.md"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return ig.import_graph(PACKAGE, "imgcheck")


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks(graph):
    # imgcheck.engine imports the video checker inside a method; checks type their services under
    # TYPE_CHECKING: both are arrows
    assert "imgcheck.video.check" in graph["imgcheck.engine"]
    assert "imgcheck.bank" in graph["imgcheck.checks"]


def test_no_import_cycles(graph):
    assert ig.cycles(graph) == []


def test_no_arrow_against_the_layers(graph):
    found = ig.violations(graph)
    new = [v for v in found if ig.arrow(v) not in ig.KNOWN]
    assert new == [], "\n".join(new)
    gone = ig.KNOWN - {ig.arrow(v) for v in found}
    assert not gone, f"fixed, remove from import_graph.KNOWN: {sorted(gone)}"


@pytest.mark.parametrize("importer, imported", [
    ("imgcheck.engine", "imgcheck.app.ui"),          # engine -> app
    ("imgcheck.engine", "imgcheck.cli"),             # engine -> cli
    ("imgcheck.checks.known_image", "imgcheck.cli"),  # checks -> cli
    ("imgcheck.checks.ai_pixels", "imgcheck.app"),   # checks -> app
    ("imgcheck.bank.store", "imgcheck.checks"),      # bank -> checks
    ("imgcheck.hashing.pdq", "imgcheck.bank.index"),  # hash types -> bank
    ("imgcheck.faces.detector", "imgcheck.engine"),  # signals -> engine
    ("imgcheck.app.ui", "imgcheck.bank.store"),      # app -> bank (allowed by order, forbidden by rule)
])
def test_a_forbidden_arrow_fails(graph, importer, imported):
    broken = {m: set(d) for m, d in graph.items()}
    broken.setdefault(importer, set()).add(imported)
    broken.setdefault(imported, set())
    assert any(ig.arrow(v) == f"{importer} -> {imported}" for v in ig.violations(broken))


def test_a_cycle_fails_even_along_the_layer_order():
    g = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert ig.cycles(g) == [["p.a", "p.b", "p.c"]]
    assert ig.cycles({"p.a": {"p.b"}, "p.b": set()}) == []


def test_a_new_module_must_be_placed_in_a_layer():
    assert ig.layer_of("imgcheck.somethingnew") is None
    assert any("in no layer" in v for v in ig.violations({"imgcheck.somethingnew": set()}))
    assert ig.layer_of("imgcheck.video.check")[1] == "engine"   # the longest prefix wins
    assert ig.layer_of("imgcheck.video.decode")[1] == "signals"


def test_a_temporary_package_with_a_forbidden_import_fails(tmp_path):
    """The checker reads source, so a real (temporary) package breaks it the same way: a hash type that
    imports the bank, an import hidden inside a function making a cycle."""
    root = tmp_path / "imgcheck"
    for rel, text in {
        "__init__.py": "",
        "bank/__init__.py": "from imgcheck.bank.store import Store\n",
        "bank/store.py": "class Store: ...\n",
        "hashing/__init__.py": "",
        "hashing/pdq.py": "def lookup():\n    from imgcheck.bank import Store\n    return Store\n",
        "checks/__init__.py": "from imgcheck import engine\n",
        "engine.py": "def run():\n    from imgcheck.checks import registry\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    g = ig.import_graph(root, "imgcheck")
    assert g["imgcheck.hashing.pdq"] == {"imgcheck.bank"}
    arrows = {ig.arrow(v) for v in ig.violations(g)}
    assert "imgcheck.hashing.pdq -> imgcheck.bank" in arrows
    assert "imgcheck.checks -> imgcheck.engine" in arrows
    assert ig.cycles(g) == [["imgcheck.checks", "imgcheck.engine"]]


def test_the_folder_map_names_every_package_folder():
    """docs/architecture.md has a "Folder map" with one paragraph per package folder, each starting with
    the folder in backticks (`imgcheck/bank/`); every folder with an __init__.py is named, and every
    folder named exists."""
    text = ARCH_DOC.read_text()
    section = text.split("## Folder map", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\*\*`(imgcheck/[a-z_/]*)`\*\*", section, flags=re.M))
    folders = {str(p.parent.relative_to(REPO)) + "/" for p in PACKAGE.rglob("__init__.py")
               if "__pycache__" not in p.parts}
    assert folders - named == set(), f"add a paragraph to docs/architecture.md for {sorted(folders - named)}"
    assert named - folders == set(), f"docs/architecture.md names folders that do not exist: {sorted(named - folders)}"


def test_the_folder_map_names_every_top_level_module():
    """The ``imgcheck/`` paragraph of the folder map names each module that is not in a folder
    (`engine.py`), and names none that has gone (a rename updates the map)."""
    text = ARCH_DOC.read_text()
    section = text.split("## Folder map", 1)[1].split("\n## ", 1)[0]
    para = section.split("**`imgcheck/`**", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z0-9_]+\.py)`", para))
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert modules - named == set(), f"name them in docs/architecture.md's imgcheck/ paragraph: {sorted(modules - named)}"
    assert named - modules == set(), f"docs/architecture.md names modules that do not exist: {sorted(named - modules)}"


def test_the_layer_table_in_the_docs_matches_the_checker():
    text = ARCH_DOC.read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    order = re.findall(r"^\d\. \*\*([a-z/]+)\*\*", section, flags=re.M)
    assert order == [name for name, _ in ig.LAYERS]
