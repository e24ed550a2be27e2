"""Snapshot of `tally ask --json` answers, to show a restructuring changed no answer.

    python bench/answers_snapshot.py before        # writes bench/out/answers-before.jsonl
    python bench/answers_snapshot.py after         # writes bench/out/answers-after.jsonl
    python bench/answers_snapshot.py --compare before after

The corpus: every question literal of the parser tests (tests/agents/test_parser*.py),
the hostile questions (tests/hostile/questions.jsonl) and the README's `tally ask`
examples, asked of the demo workspaces (built once under bench/out/answers-data) with a
fixed --as-of through `tally ask --json --batch` (one process per corpus and workspace;
each corpus is one conversation, so follow-ups follow the line above). Volatile fields
(answer and error ids) are dropped; a chart path is replaced by the SHA-256 of its PNG.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATA = OUT / "answers-data"
AS_OF = "2025-10-31"
VOLATILE = ("answer_id", "error_id")
TALLY = str(Path(sys.executable).parent / "tally")


def parser_questions() -> list[str]:
    """The questions of the parser and brain tests: every string argument holding a space
    of a call (ask, assert_parses, brain.ask, ...) and the first string of every
    parametrize case."""
    found: dict[str, None] = {}
    tests = ROOT / "tests" / "agents"
    files = [*sorted(tests.glob("test_parser*.py")), tests / "test_brain.py",
             tests / "test_graph.py", tests / "test_betting_brain.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if _is_parametrize(node) and len(node.args) > 1 and isinstance(node.args[1], ast.List | ast.Tuple):
                for case in node.args[1].elts:
                    first = case.elts[0] if isinstance(case, ast.Tuple) and case.elts else case
                    _add_text(found, first)
            else:
                for arg in node.args:
                    _add_text(found, arg)
    return list(found)


def _is_parametrize(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == "parametrize"


def _add_text(found: dict[str, None], node: ast.expr) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
        found[node.value] = None


def hostile_questions() -> list[str]:
    lines = (ROOT / "tests" / "hostile" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()]


def readme_questions() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r'tally ask (?:--\S+ )*(?:--as-of \S+ )?"([^"]+)"', text)


def ensure_data() -> None:
    if (DATA / "ready").exists():
        return
    env = {**os.environ, "TALLY_DATA_DIR": str(DATA)}
    subprocess.run([TALLY, "demo", "--no-chat", "--scale", "0.25"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    (DATA / "ready").touch()


def answers(corpus: str, questions: list[str], workspace: str) -> list[dict[str, object]]:
    # one question per line: a question holding a line break would be two lines
    lines = [q.replace("\r", " ").replace("\n", " ") for q in questions]
    # the offline brain only: no LLM key reaches the process
    env = {k: v for k, v in os.environ.items() if "OPENAI" not in k} | {"TALLY_DATA_DIR": str(DATA)}
    done = subprocess.run([TALLY, "ask", "--json", "--batch", "-", "--workspace", workspace,
                           "--as-of", AS_OF], input="\n".join(lines).encode("utf-8", "surrogatepass"),
                          env=env, capture_output=True, check=False)
    if not done.stdout:
        raise SystemExit(f"tally ask failed for {corpus}: {done.stderr.decode()[-2000:]}")
    rows = []
    for line in done.stdout.decode("utf-8").split("\n"):
        if not line:
            continue
        data = json.loads(line)
        for key in VOLATILE:
            data.pop(key, None)
        if isinstance(data.get("chart"), str):
            data["chart"] = hashlib.sha256(Path(data["chart"]).read_bytes()).hexdigest()
        rows.append({"corpus": corpus, "workspace": workspace, **data})
    return rows


def frozen_corpus() -> dict[str, list[str]]:
    """The questions, frozen in bench/out/answers-corpus.json at the first snapshot (the
    tests they come from may be rewritten by the change being checked)."""
    frozen = OUT / "answers-corpus.json"
    if frozen.exists():
        loaded: dict[str, list[str]] = json.loads(frozen.read_text(encoding="utf-8"))
        return loaded
    found = {"parser": parser_questions(),
             "hostile": hostile_questions(), "readme": readme_questions()}
    frozen.write_text(json.dumps(found), encoding="utf-8")  # ASCII: lone surrogates escaped
    return found


def snapshot(label: str) -> Path:
    ensure_data()
    corpora = frozen_corpus()
    path = OUT / f"answers-{label}.jsonl"
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for workspace in ("demo", "demo-guild"):
            for corpus, questions in corpora.items():
                for row in answers(corpus, questions, workspace):
                    out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                    count += 1
    print(f"{count} answers -> {path}")
    return path


def compare(before: str, after: str) -> int:
    old = (OUT / f"answers-{before}.jsonl").read_text(encoding="utf-8").split("\n")
    new = (OUT / f"answers-{after}.jsonl").read_text(encoding="utf-8").split("\n")
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
    print(f"{len(old)} before, {len(new)} after, {len(differ)} differ")
    for i in differ[:10]:
        print(f"- {old[i][:300]}\n+ {new[i][:300]}")
    return 1 if differ or len(old) != len(new) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("labels", nargs="+", help="a label to snapshot, or two with --compare")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.labels))
    for label in args.labels:
        snapshot(label)


if __name__ == "__main__":
    main()
