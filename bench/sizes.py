"""Report the modules and functions over the house's size rule (style.md): modules under
~400 lines, functions under ~40.

    python bench/sizes.py                 # bot/, agents/, connectors/, storage/
    python bench/sizes.py --modules 300 --functions 30 bot

It reports and exits 0: the rule is "about", and splitting is by responsibility, not by
size alone. A function's length runs from its ``def`` line to its last line (its
nested functions included; a nested function is also listed on its own).
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "agents", "connectors", "storage")


def modules(packages: tuple[str, ...]) -> Iterator[Path]:
    """Every Python module of the packages, in path order."""
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def long_functions(tree: ast.AST, limit: int) -> Iterator[tuple[int, str, int]]:
    """(line, qualified name, length) of each function longer than ``limit`` lines."""
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[int, str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > limit:
                        yield child.lineno, name, length
                yield from walk(child, name + ".")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packages", nargs="*", default=list(PACKAGES))
    parser.add_argument("--modules", type=int, default=400, help="module line limit")
    parser.add_argument("--functions", type=int, default=40, help="function line limit")
    args = parser.parse_args()
    big_modules, big_functions = [], []
    for path in modules(tuple(args.packages)):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        lines = text.count("\n") + (not text.endswith("\n") and bool(text))
        if lines > args.modules:
            big_modules.append((lines, str(where)))
        for line, name, length in long_functions(ast.parse(text, str(where)), args.functions):
            big_functions.append((length, f"{where}:{line} {name}"))
    print(f"modules over {args.modules} lines: {len(big_modules)}")
    for lines, where in sorted(big_modules, reverse=True):
        print(f"  {lines:5d}  {where}")
    print(f"functions over {args.functions} lines: {len(big_functions)}")
    for length, where in sorted(big_functions, reverse=True):
        print(f"  {length:5d}  {where}")


if __name__ == "__main__":
    main()
