"""The import graph of the package: no circles, and the numpy side never reaches sympy or the symbolic side.

Read from the source (the AST of every module under symbolic/ and numeric/), not from sys.modules, so that an
import inside a function counts as much as one at the top of a file: a lazy import that closes a circle still
ties the two modules together. Importing a module also runs its packages' ``__init__``, so an import of
``a.b.c`` is an edge to ``a.b`` as well (except into the importer's own packages, which are loaded already).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"symbolic": "gradproof.symbolic", "numeric": "gradproof.numeric"}


def _modules():
    """{installed module name: (path, is_package)} for every .py file under symbolic/ and numeric/."""
    found = {}
    for folder, name in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            package = parts[-1] == "__init__"
            if package:
                parts = parts[:-1]
            found[".".join([name, *parts])] = (path, package)
    return found


MODULES = _modules()


def _absolute(module, is_package, node):
    """The absolute name an ImportFrom node imports from."""
    if not node.level:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module, is_package, tree):
    """Every module of the package that `module` imports, anywhere in its code (with their packages)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            # `from pkg import sub` imports the submodule pkg.sub when there is one; any other name comes from
            # pkg itself (its __init__ for a package)
            subs = {f"{source}.{alias.name}" for alias in node.names} & set(MODULES)
            names |= subs
            if len(subs) < len(node.names):
                names.add(source)
    targets = set()
    own = {".".join(module.split(".")[:n]) for n in range(1, module.count(".") + 2)}
    for name in names:
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            prefix = ".".join(parts[:n])
            if prefix in MODULES and prefix != module and (prefix == name or prefix not in own):
                targets.add(prefix)
    return targets


def import_graph():
    return {module: _targets(module, package, ast.parse(path.read_text(), str(path)))
            for module, (path, package) in MODULES.items()}


def circles(graph):
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _path(graph, start, goal):
    """One chain of imports start -> ... -> goal (breadth first), to show a circle to a reader."""
    previous, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    chain, v = [], goal
    while v is not None:
        chain.append(v)
        v = previous.get(v)
    return chain[::-1]


def test_the_graph_sees_lazy_and_relative_imports():
    # the reader itself, on a made-up module: a relative import inside a function, and `from . import sub`
    tree = ast.parse("def f():\n    from ..model import L\nfrom . import content\nimport gradproof.numeric.spec\n")
    assert _targets("gradproof.symbolic.sheet.x", False, tree) == {
        "gradproof.symbolic.model", "gradproof.symbolic.sheet.content", "gradproof.numeric",
        "gradproof.numeric.spec"}
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    graph = import_graph()
    found = circles(graph)
    shown = ["; ".join(" -> ".join(_path(graph, c[0], w) + [c[0]]) for w in c if c[0] in graph[w]) for c in found]
    assert not found, "import circles:\n" + "\n".join(shown)


def test_numeric_never_reaches_sympy_or_the_symbolic_side():
    graph = import_graph()
    for module, (path, _) in MODULES.items():
        if not module.startswith("gradproof.numeric"):
            continue
        assert not any(t.startswith("gradproof.symbolic") for t in graph[module]), module
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level}
        assert not {name for name in imported if name.split(".")[0] in ("sympy", "symbolic", "mpmath")}, module
