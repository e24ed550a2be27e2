"""Mutation score per module group, from the results ``mutmut run`` left under mutants/.

Usage: ``python bench/mutants.py [--survivors]`` after ``make mutants`` (or a partial
``mutmut run``); ``--sample N`` prints N mutant names per module group, drawn with a fixed
seed; with ``--mark`` it files the others as skipped, so that a plain ``mutmut run``
checks only that sample (``make mutants`` once, interrupted after "Running stats", then
``python bench/mutants.py --sample 80 --mark && mutmut run``) when an hour is too long.

A mutant counts as killed when a test failed, timed out or the type check caught it;
survivors, mutants no test reached, crashes and suspicious ones count against the score.
A worker killed by the CPU-time limit (exit -9, which mutmut files under "segfault") is a
hang the mutant caused, counted as a timeout. Mutants listed in docs/mutants.md as
equivalent (no behaviour a user could see changes: the reasons are there) are left out
of the denominator; mutants not yet checked are reported apart.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

GROUPS = (("storage/catalog/", "catalog"), ("storage/derived.py", "derived tables"),
          ("agents/parser/", "parser"), ("agents/number_guard.py", "number guard"),
          ("connectors/", "webhook checks"))
KILLED = {"killed", "timeout", "caught by type check"}
EQUIVALENT_LIST = Path("docs/mutants.md")


def equivalent() -> set[str]:
    """Mutant names in the "Equivalent mutants" section of docs/mutants.md."""
    if not EQUIVALENT_LIST.exists():
        return set()
    text = EQUIVALENT_LIST.read_text().split("## Equivalent mutants", 1)[-1].split("\n## ", 1)[0]
    return set(re.findall(r"`([^`\s]+__mutmut_\d+)`", text))


def results(root: Path) -> dict[str, list[tuple[str, str]]]:
    """(mutant name, status) per group."""
    found: dict[str, list[tuple[str, str]]] = {label: [] for _, label in GROUPS}
    for meta in sorted(root.rglob("*.py.meta")):
        source = str(meta.relative_to(root))[: -len(".meta")]
        label = next((label for prefix, label in GROUPS if source.startswith(prefix)), None)
        if label is None:
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        # -9: the runner's SIGKILL after the CPU-time limit (mutmut says "segfault"): a hang.
        found[label] += [(name, "timeout" if code == -9 else status_by_exit_code[code])
                         for name, code in codes.items()]
    return found


def mark_skipped(root: Path, chosen: set[str]) -> None:
    """Files every unchecked mutant outside ``chosen`` as skipped (34) and ``chosen`` as unchecked.

    ``mutmut run NAME...`` passes the tests of the named mutants as node ids, and some of
    the parser's parametrized ids are then not found (pytest exit 4); a plain ``mutmut run``
    selects tests by file and checks exactly the mutants that have no result yet.
    """
    for meta in root.rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            if name in chosen:
                codes[name] = None
            elif code is None:
                codes[name] = 34
        meta.write_text(json.dumps(data, indent=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list every mutant not killed")
    parser.add_argument("--sample", type=int, help="print N mutant names per group and stop")
    parser.add_argument("--groups", nargs="*", help="module groups to sample (default: all)")
    parser.add_argument("--mark", action="store_true",
                        help="with --sample: mark every other unchecked mutant skipped, so a "
                             "plain `mutmut run` checks only the sample")
    args = parser.parse_args()
    if args.sample:
        draw = random.Random(20)
        chosen: set[str] = set()
        for label, mutants in results(Path("mutants")).items():
            if not args.groups or label in args.groups:
                names = sorted(name for name, _ in mutants)
                chosen.update(draw.sample(names, min(args.sample, len(names))))
        if args.mark:
            mark_skipped(Path("mutants"), chosen)
        else:
            print("\n".join(sorted(chosen)))
        return
    skip = equivalent()
    total = Counter[str]()
    print(f"{'module':<16}{'killed':>8}{'counted':>9}{'score':>8}{'equiv.':>8}{'unchecked':>11}")
    for label, mutants in results(Path("mutants")).items():
        statuses = Counter(status for name, status in mutants if name not in skip)
        unchecked = statuses.pop("not checked", 0) + statuses.pop("skipped", 0)
        killed = sum(n for status, n in statuses.items() if status in KILLED)
        counted = sum(statuses.values())
        equivalents = sum(1 for name, _ in mutants if name in skip)
        total.update(killed=killed, counted=counted, equivalent=equivalents, unchecked=unchecked)
        score = f"{100 * killed / counted:.1f}%" if counted else "-"
        print(f"{label:<16}{killed:>8}{counted:>9}{score:>8}{equivalents:>8}{unchecked:>11}")
        if args.survivors:
            for name, status in mutants:
                if status not in KILLED | {"not checked", "skipped"} and name not in skip:
                    print(f"    {status:<12} {name}")
    score = f"{100 * total['killed'] / total['counted']:.1f}%" if total["counted"] else "-"
    print(f"{'all':<16}{total['killed']:>8}{total['counted']:>9}{score:>8}"
          f"{total['equivalent']:>8}{total['unchecked']:>11}")


if __name__ == "__main__":
    main()
