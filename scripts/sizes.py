#!/usr/bin/env python3
"""`make lint`: no non-test Rust source file over 500 lines, no non-test function over 80, and
no import circle between the top-level modules of a crate (`a` uses `crate::b`, `b` uses
`crate::a`, directly or round a longer loop).

A file is a test file when it lives under a `tests/` or `benches/` folder; inside a source
file, everything from the first `#[cfg(test)]` on is tests (the project keeps unit tests at
the end). Tables of data may be marked `// sizes: data` on the line before the function.
Prints each offender; exits 1 when there is one.
"""
import pathlib
import re
import sys

MAX_FILE, MAX_FN = 500, 80
root = pathlib.Path(__file__).resolve().parent.parent
fn_start = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
bad = []
for path in sorted(root.glob("**/*.rs")):
    rel = path.relative_to(root)
    parts = rel.parts
    if parts[0] in ("target", ".local") or "tests" in parts or "benches" in parts:
        continue
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = next((i for i, l in enumerate(lines) if l.strip() == "#[cfg(test)]"), len(lines))
    code = lines[:cut]
    if len(code) > MAX_FILE:
        bad.append(f"{rel}: {len(code)} lines of non-test code (at most {MAX_FILE})")
    i = 0
    while i < len(code):
        m = fn_start.match(code[i])
        if not m:
            i += 1
            continue
        data = i > 0 and "sizes: data" in code[i - 1]
        depth, opened, j = 0, False, i
        while j < len(code):
            line = re.sub(r'"(\\.|[^"\\])*"', '""', code[j])  # strings may hold braces and //
            line = re.sub(r"'(\\.|[^'\\])'", "' '", line).split("//")[0]  # and chars such as '{'
            depth += line.count("{") - line.count("}")
            opened = opened or "{" in line
            if opened and depth <= 0:
                break
            if not opened and line.rstrip().endswith(";"):
                break  # a declaration without a body (trait method)
            j += 1
        length = j - i + 1
        if length > MAX_FN and not data:
            bad.append(f"{rel}:{i + 1}: fn {m.group(6)} is {length} lines (at most {MAX_FN})")
        i = j + 1 if opened else i + 1


def top_module(src, path):
    """The crate's top-level module a file belongs to (None for the crate root and bins)."""
    rel = path.relative_to(src).parts
    if rel[0] == "bin" or rel in (("lib.rs",), ("main.rs",)):
        return None
    return rel[0][:-3] if rel[0].endswith(".rs") else rel[0]


def uses(text):
    """Top-level modules named after `crate::` in code (comments dropped)."""
    code = "\n".join(l.split("//")[0] for l in text.splitlines())
    found = set(re.findall(r"\bcrate::(\w+)", code))
    for group in re.findall(r"\bcrate::\{(.*?)\}\s*;", code, re.S):
        found.update(m.group(1) for m in re.finditer(r"(?:^|,)\s*(\w+)", group))
    return found


def circles(src):
    """Every import circle among the crate's top-level modules, as 'a -> b -> a'."""
    edges = {}
    for path in src.glob("**/*.rs"):
        mod = top_module(src, path)
        if mod is None or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        cut = text.find("#[cfg(test)]")
        edges.setdefault(mod, set()).update(uses(text if cut < 0 else text[:cut]) - {mod})
    found, state = [], {}

    def visit(m, stack):
        state[m] = "open"
        for n in sorted(edges.get(m, ())):
            if n not in edges:
                continue
            if state.get(n) == "open":
                found.append(" -> ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n, stack + [n])
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    return found


for manifest in sorted(root.glob("**/Cargo.toml")):
    src = manifest.parent / "src"
    if manifest.parent.parts[len(root.parts):][:1] in (("target",), (".local",)) or not src.is_dir():
        continue
    for c in circles(src):
        bad.append(f"{src.relative_to(root)}: import circle {c}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
