"""The package's import graph: no circles, and every import runs down the layer order.

The order (``../shared/DESIGN.md``, README "Layout"): data -> weights -> simulate
-> mechanisms -> models -> evolution and robustness -> report -> config ->
optional and study area -> run -> pipeline -> census demo -> cli.  A module
may import its own subpackage and any lower layer; evolution and robustness
share a layer and do not import each other.  Every ``import`` in a module
counts, at module level or inside a function (a late import hides a circle
from Python, not from this test); only imports under ``if TYPE_CHECKING:``
are skipped, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vagg

ROOT = Path(vagg.__file__).parent

#: top-level part of the package -> layer (lower layers never import higher ones)
LAYERS = {
    "vagg._errors": 0,
    "vagg._lazy": 0,
    "vagg._outdir": 1,
    "vagg.data": 1,
    "vagg.weights": 2,
    "vagg.simulate": 3,
    "vagg.mechanisms": 4,
    "vagg.models": 5,
    "vagg.evolution": 6,
    "vagg.robustness": 6,
    "vagg.report": 7,
    "vagg.config": 8,
    "vagg.optional": 8.5,
    "vagg.study_area": 8.5,
    "vagg.run": 8.75,
    "vagg.pipeline": 9,
    "vagg.census_demo": 9.5,
    "vagg.cli": 10,
    "vagg": 11,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def part_of(module: str) -> str:
    """The top-level part (``vagg.models`` for ``vagg.models.spatial.model``)."""
    return ".".join(module.split(".")[:2])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str) -> set[str]:
    """The vagg modules that ``module`` imports (resolved to module files)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node)
               for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "vagg"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "vagg":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_the_walker_sees_imports() -> None:
    # The test can fail: it finds the known edges.
    assert "vagg.data.panel" in GRAPH["vagg.models.panel_fe"]
    assert "vagg.models.wild_bootstrap" in GRAPH["vagg.models.panel_fe"]  # a late import counts
    assert "vagg.models.panel_fe" not in GRAPH["vagg.models.wild_bootstrap"]  # TYPE_CHECKING only


def test_every_module_has_a_layer() -> None:
    assert {m for m in MODULES if part_of(m) not in LAYERS} == set()


def test_no_import_circle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layer_order(module: str) -> None:
    own = part_of(module)
    wrong = sorted(m for m in GRAPH[module]
                   if part_of(m) != own and LAYERS[part_of(m)] >= LAYERS[own] and own != "vagg")
    assert wrong == [], f"{module} (layer {own}) imports {wrong} from the same or a higher layer"


def test_every_module_says_its_job() -> None:
    # a module without a docstring fails here
    silent = sorted(m for m, path in MODULES.items()
                    if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))))
    assert silent == []


def test_pipeline_keeps_the_names_imported_from_it() -> None:
    """The parts of a run live in vagg.run; vagg.pipeline still gives every name that code imports from it."""
    import vagg.pipeline as pipeline

    names = {"run_pipeline", "run_demo", "demo_config", "prepare_panel", "plan_run", "build_variables",
             "run_stages", "select_variants", "table1_years", "read_published", "INSTRUMENT", "DEFAULT_MEDIATORS"}
    assert set(pipeline.__all__) == names
    # the run's record, for the census report
    defined = {name: getattr(pipeline, name).__module__ for name in ("_Stages", "_Output", "_versions")}
    assert defined == dict.fromkeys(defined, "vagg.run.record")
    assert pipeline.plan_run.__module__ == "vagg.run.plan" and pipeline.run_stages.__module__ == "vagg.run.stages"
