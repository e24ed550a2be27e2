"""Scores the question corpus (tests/corpus): right / refused with choices / refused / wrong.

    python bench/corpus_score.py                  # the corpus
    python bench/corpus_score.py --heldout        # the 300 questions set aside
    python bench/corpus_score.py --show wrong,refused   # list those cases
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus.harness import HERE, corpus_files, load, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout", action="store_true", help="score tests/corpus/heldout/")
    parser.add_argument("--show", default="wrong", help="outcomes to list, comma-separated")
    parser.add_argument("files", nargs="*", help="corpus files (default: all)")
    args = parser.parse_args()
    paths = ([Path(f) for f in args.files] if args.files
             else corpus_files(HERE / "heldout" if args.heldout else HERE))
    result = score(load(paths))
    shown = set(args.show.split(","))
    for s in result.scored:
        if s.outcome in shown:
            print(f"{s.outcome:8} {s.case.id:14} {s.case.q!r}\n         {s.why}")
    by_file = Counter((s.case.file, s.outcome) for s in result.scored)
    for file in sorted({s.case.file for s in result.scored}):
        counts = {o: by_file[(file, o)] for o in ("right", "choices", "refused", "wrong")}
        print(f"{file:24} " + "  ".join(f"{o} {n}" for o, n in counts.items()))
    print(result.summary())


if __name__ == "__main__":
    main()
