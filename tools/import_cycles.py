#!/usr/bin/env python3
"""Import circles between the source files of the workspace's crates.

Usage: python3 tools/import_cycles.py [ROOT]   (exit code 1 when there is a circle)

A file imports another when it names one of its items by path (`use super::x::Y`,
`crate::a::b::f(...)`, `use super::{x, y}`). Modules' `mod` declarations are not imports.
Circles are the strongly connected components of more than one file; a file naming an item of
its own parent module's file (`super::describe_epoch` from `ml/mod.rs`) counts like any other.
"""
import os
import re
import sys

CRATES = {"hepfusion": "src", "hepfusion_root": "root/src", "hepfusion_udfs": "udfs/src",
          "hepfusion_shell": "shell/src", "hepfusion_python": "python/src"}


def modules(src):
    """Module path (tuple) -> file, for one crate's source folder."""
    out = {}
    for folder, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, f), src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            if rel and rel[0] == "bin":
                continue
            out[tuple(rel)] = os.path.join(folder, f)
    return out


def references(text, here):
    """Module paths a file's text names, absolute within its crate. `here` is the file's module."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
    paths = []
    for m in re.finditer(r"\b(crate|super)((?:::\w+)+)(?:::\{([^}]*)\})?", text):
        base = [] if m.group(1) == "crate" else list(here[:-1])
        parts = base + m.group(2).strip(":").split("::")
        paths.append(tuple(parts))
        for name in (m.group(3) or "").split(","):
            name = name.strip().split(" ")[0].split("::")[0]
            if name and name != "self":
                paths.append(tuple(parts) + (name,))
    for m in re.finditer(r"\b(?:crate|super)::\{([^}]*)\}", text):
        base = [] if text[m.start():].startswith("crate") else list(here[:-1])
        for name in m.group(1).split(","):
            name = name.strip().split("::")[0].split(" ")[0]
            if name:
                paths.append(tuple(base + [name]))
    return paths


def graph(root):
    edges = {}
    for src in CRATES.values():
        src = os.path.join(root, src)
        if not os.path.isdir(src):
            continue
        mods = modules(src)
        for here, path in mods.items():
            targets = set()
            for p in references(open(path).read(), here):
                for k in range(len(p), -1, -1):
                    if p[:k] in mods:
                        if mods[p[:k]] != path:
                            targets.add(mods[p[:k]])
                        break
            edges[path] = targets
    return edges


def circles(edges):
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    found = circles(graph(root))
    for c in found:
        print(" <-> ".join(os.path.relpath(f, root) for f in c))
    print(f"{len(found)} import circles")
    sys.exit(1 if found else 0)
