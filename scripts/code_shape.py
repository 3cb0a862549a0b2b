"""The shape of the code: lines per package, the longest functions and the widest signatures.

Run with ``.venv/bin/python -m scripts.code_shape``. It reads the source only; nothing is imported.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "registry", "media", "scripts")


def _package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    # registry/<domain>/x.py counts under registry/<domain>; a module directly in a package
    # counts under the package.
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _width(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Parameters after ``self``/``cls`` and a leading ``session``."""
    args = fn.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    if positional and positional[0] in {"self", "cls", "session"}:
        positional = positional[1:]
    return len(positional) + len(args.kwonlyargs)


def main() -> None:
    lines: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    longest: list[tuple[int, str]] = []
    widest: list[tuple[int, str]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            key = _package_of(path)
            lines[key] += text.count("\n")
            modules[key] += 1
            tree = ast.parse(text)
            where = path.relative_to(ROOT)
            for fn in _functions(tree):
                length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
                longest.append((length, f"{where}:{fn.lineno} {fn.name}"))
                widest.append((_width(fn), f"{where}:{fn.lineno} {fn.name}"))
    out = sys.stdout
    out.write("lines per package (modules)\n")
    for key in sorted(lines):
        out.write(f"  {key:32} {lines[key]:6} ({modules[key]})\n")
    out.write("\nlongest functions (lines)\n")
    for length, name in sorted(longest, reverse=True)[:10]:
        out.write(f"  {length:4}  {name}\n")
    out.write("\nwidest signatures (parameters after self/session)\n")
    for width, name in sorted(widest, reverse=True)[:10]:
        out.write(f"  {width:4}  {name}\n")


if __name__ == "__main__":
    main()
