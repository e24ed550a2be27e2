"""Scores the question corpus: each question's reading against the one it must get.

The expected readings are worked out from the spec's period table by hand here (plain
date arithmetic, not the catalog's ``resolve_period``), so a period the parser
resolves wrongly is a wrong reading, not a matching mistake.

A question's outcome is one of:
- ``right``: the reading expected (a refusal, for a question that must be refused);
- ``choices``: refused, for an answerable question, offering readings to pick from;
- ``refused``: refused with no choice (examples only) for an answerable question;
- ``wrong``: answered with another reading, or answered when it must be refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from agents.answer import Conversation, LastTurn, Plan, Ports, understand
from agents.followups import Resolution
from agents.parser import Help, Parsed, Unanswerable
from storage.catalog import AsOf, Engine, Query
from tests.agents.demo_workspaces import demo_engine

HERE = Path(__file__).parent
AS_OF_DAY = date(2025, 6, 1)  # a Sunday; the demo's data ends that day
ASKER = {"demo": None, "demo-guild": "Sharpie"}
BETTING = frozenset({"profit_units", "staked_units", "roi", "win_rate", "record", "bets",
                     "avg_odds", "clv", "streak", "pending_bets"})
BETTOR_SUMMARY = frozenset({"profit_units", "roi", "record", "bets"})
# Filters the stock lists add themselves ("running out within 14 days" is ``days``).
_LIST_FILTERS = frozenset({"days_of_stock_below", "stockout_risk", "product_status"})
OUTCOMES = ("right", "choices", "refused", "wrong")


@dataclass(frozen=True)
class Case:
    """One corpus line."""

    id: str
    workspace: str
    q: str
    expect: Any
    chain: str | None = None
    turn: int = 1
    file: str = ""


@dataclass
class Scored:
    """A case's outcome and why."""

    case: Case
    outcome: str
    why: str = ""


@dataclass
class Score:
    """Counts per outcome, and the scored cases."""

    scored: list[Scored] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for s in self.scored if s.outcome == outcome)

    def summary(self) -> str:
        total = len(self.scored)
        parts = [f"{o} {self.count(o)} ({100 * self.count(o) / max(total, 1):.1f}%)"
                 for o in OUTCOMES]
        return f"{total} questions: " + ", ".join(parts)


class DemoEngines:
    """The :class:`~agents.ports.Engines` port over the shared generated demo."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}

    def engine(self, workspace: str) -> Engine:
        if workspace not in self._engines:
            self._engines[workspace] = demo_engine(workspace)
        return self._engines[workspace]

    def vocabulary_path(self, workspace: str) -> Path | None:
        return None


@cache
def ports() -> Ports:
    return Ports(DemoEngines())


def load(paths: Iterable[Path]) -> list[Case]:
    """The cases of the given JSON Lines files, in file order."""
    cases = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            try:
                cases.append(Case(raw["id"], raw["workspace"], raw["q"], raw["expect"],
                                  raw.get("chain"), int(raw.get("turn", 1)), path.name))
            except KeyError as exc:
                raise ValueError(f"{path.name}:{number}: missing {exc}") from exc
    return cases


def corpus_files(folder: Path = HERE) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def conversations(cases: list[Case]) -> Iterator[list[Case]]:
    """Single questions alone; a chain's turns together, in turn order."""
    chains: dict[tuple[str, str], list[Case]] = {}
    for case in cases:
        if case.chain is None:
            yield [case]
        else:
            chains.setdefault((case.file, case.chain), []).append(case)
    for turns in chains.values():
        yield sorted(turns, key=lambda c: c.turn)


def score(cases: list[Case]) -> Score:
    result = Score()
    for turns in conversations(cases):
        last: LastTurn | None = None
        for case in turns:
            as_of = AsOf.for_day(AS_OF_DAY, ports().engines.engine(case.workspace).workspace.tz)
            plan = understand(case.q, Conversation(case.workspace, as_of, ASKER.get(case.workspace),
                                                   last), ports())
            result.scored.append(judge(case, plan, as_of))
            if isinstance(plan, Parsed | Resolution):
                last = LastTurn(plan.query, plan.intent)
    return result


def judge(case: Case, plan: Plan, as_of: AsOf) -> Scored:
    expect = case.expect
    if expect == "refuse":
        if isinstance(plan, Unanswerable):
            return Scored(case, "right")
        return Scored(case, "wrong", f"answered, must refuse: {describe(plan)}")
    if expect == "help":
        return Scored(case, "right" if isinstance(plan, Help) else "wrong", describe(plan))
    if isinstance(plan, Unanswerable):
        return Scored(case, "choices" if getattr(plan, "choices", ()) else "refused", plan.missing)
    if isinstance(plan, Help):
        return Scored(case, "wrong", "answered with help")
    readings = expect if isinstance(expect, list) else [expect]
    whys = [mismatch(r, plan, case, as_of) for r in readings]
    if any(w is None for w in whys):
        return Scored(case, "right")
    return Scored(case, "wrong", f"{whys[0]} — got {describe(plan)}")


def describe(plan: Plan) -> str:
    if isinstance(plan, Parsed | Resolution):
        q = plan.query
        period = f"{q.period.start}..{q.period.end}" if q.period else None
        kind = plan.kind if isinstance(plan, Resolution) else "parsed"
        return (f"{kind} {list(q.metrics)} period={period} by={list(q.dimensions)} "
                f"filters={[(f.dimension, f.values, f.exclude) for f in q.filters]} "
                f"compare={q.compare} order={q.order} limit={q.limit} intent={plan.intent}")
    return type(plan).__name__


def mismatch(exp: Mapping[str, Any], plan: Parsed | Resolution, case: Case,
             as_of: AsOf) -> str | None:
    """Why the plan is not the expected reading, or None when it is."""
    q = plan.query
    kind = plan.kind if isinstance(plan, Resolution) else "query"
    want_kind = exp.get("kind", "query")
    if kind != want_kind:
        return f"kind {kind}, expected {want_kind}"
    if "metrics" in exp and not _same_metrics(exp["metrics"], q, plan.intent):
        return f"metrics {list(q.metrics)}, expected {exp['metrics']}"
    if want_kind != "query":
        return None
    if plan.intent != exp.get("intent", "metric"):
        return f"intent {plan.intent}, expected {exp.get('intent', 'metric')}"
    if (why := _period_mismatch(exp.get("period"), q, as_of)) is not None:
        return why
    dimensions = [d for d in q.dimensions if not (plan.intent == "stock_alert_list" and d == "product")]
    if sorted(dimensions) != sorted(exp.get("by", [])):
        return f"by {list(q.dimensions)}, expected {exp.get('by', [])}"
    if (why := _filter_mismatch(_skus_as_products(exp, case.workspace), q)) is not None:
        return why
    compare = exp.get("compare")
    if q.compare != compare:
        return f"compare {q.compare}, expected {compare}"
    return _rank_mismatch(exp, q)


def _same_metrics(expected: list[str], q: Query, intent: str) -> bool:
    """The metrics asked. A bettor's summary (profit, ROI, record, bets) answering a
    question about one of them shows that number among its companions: not a wrong one,
    as long as a ranking is by the metric asked."""
    if sorted(q.metrics) == sorted(expected):
        return True
    extra = set(q.metrics) - set(expected)
    ranked = q.order is None or q.order.by in expected or len(expected) != 1
    return set(expected) <= set(q.metrics) and extra <= BETTOR_SUMMARY and ranked


def _skus_as_products(exp: Mapping[str, Any], workspace: str) -> Mapping[str, Any]:
    """A SKU names one product (the workspace's aliases): filtering by the SKU or by its
    product is the same reading."""
    skus = exp.get("filters", {}).get("sku")
    if not skus:
        return exp
    aliases = ports().vocabularies.get(workspace).aliases.get("product", {})
    if not all(sku in aliases for sku in skus):
        return exp
    filters = {d: v for d, v in exp["filters"].items() if d != "sku"}
    filters["product"] = [aliases[sku] for sku in skus]
    return {**exp, "filters": filters}


def _filter_mismatch(exp: Mapping[str, Any], q: Query) -> str | None:
    got: dict[tuple[str, bool], list[str]] = {}
    for f in q.filters:
        if f.dimension in _LIST_FILTERS:
            continue
        got.setdefault((f.dimension, f.exclude), []).extend(f.values)
    want = {(d, False): list(v) for d, v in exp.get("filters", {}).items()}
    want.update({(d, True): list(v) for d, v in exp.get("exclude", {}).items()})
    norm = {k: sorted(v) for k, v in got.items()}
    if norm != {k: sorted(v) for k, v in want.items()}:
        return f"filters {norm}, expected {want}"
    if "days" in exp:
        days = [f.values for f in q.filters if f.dimension == "days_of_stock_below"]
        if days != [(str(exp["days"]),)]:
            return f"horizon {days}, expected {exp['days']}"
    return None


def _rank_mismatch(exp: Mapping[str, Any], q: Query) -> str | None:
    for key, descending in (("top", True), ("bottom", False)):
        if key in exp:
            rank = exp[key]
            if q.order is None or q.order.descending != descending:
                return f"order {q.order}, expected {key}"
            if "by" in rank and q.order.by != rank["by"]:
                return f"ranked by {q.order.by}, expected {rank['by']}"
            if "n" in rank and q.limit != rank["n"]:
                return f"limit {q.limit}, expected {rank['n']}"
    return None


def _period_mismatch(key: str | None, q: Query, as_of: AsOf) -> str | None:
    got = (q.period.start, q.period.end) if q.period else None
    today = as_of.day
    if key is None:
        allowed: list[tuple[date, date] | None] = [None]
        if q.metrics and all(m in BETTING for m in q.metrics):
            allowed.append(("all", today + timedelta(days=1)))  # type: ignore[arg-type]
        else:
            allowed.append((today - timedelta(days=30), today))
    elif key == "all_time":
        allowed = [("all", today + timedelta(days=1))]  # type: ignore[list-item]
        if q.metrics and all(m in BETTING for m in q.metrics):
            allowed.append(None)
    else:
        allowed = [span(key, today)]
    for want in allowed:
        if want is None and got is None:
            return None
        if want is not None and got is not None:
            if want[0] == "all" and got[0] <= date(2001, 1, 1) and got[1] == want[1]:
                return None
            if want == got:
                return None
    return f"period {got}, expected {key} {allowed}"


def _months_before(day: date, n: int) -> date:
    month = day.year * 12 + day.month - 1 - n
    return date(month // 12, month % 12 + 1, 1)


def span(key: str, today: date) -> tuple[date, date]:
    """The half-open local-day span of a corpus period key, from the spec's table."""
    tomorrow = today + timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    quarter = _months_before(month, (today.month - 1) % 3)
    year = today.replace(month=1, day=1)
    fixed = {
        "today": (today, tomorrow), "yesterday": (today - timedelta(days=1), today),
        "this_week": (monday, tomorrow), "last_week": (monday - timedelta(days=7), monday),
        "this_month": (month, tomorrow), "last_month": (_months_before(month, 1), month),
        "this_quarter": (quarter, tomorrow), "last_quarter": (_months_before(quarter, 3), quarter),
        "this_year": (year, tomorrow), "last_year": (year.replace(year=year.year - 1), year),
    }
    if key in fixed:
        return fixed[key]
    parts = key.split("_")
    if len(parts) == 3 and parts[0] == "last":
        n = int(parts[1])
        if parts[2] == "days":
            return (today - timedelta(days=n), today)
        if parts[2] == "weeks":
            return (monday - timedelta(days=7 * n), monday)
        if parts[2] == "months":
            return (_months_before(month, n), month)
    if ".." in key:
        first, last = key.split("..")
        return (date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1))
    if "-Q" in key:
        y, n = key.split("-Q")
        start = date(int(y), 3 * int(n) - 2, 1)
        return (start, _months_before(start, -3))
    if len(key) == 4:
        return (date(int(key), 1, 1), date(int(key) + 1, 1, 1))
    if len(key) == 7:
        start = date.fromisoformat(key + "-01")
        return (start, _months_before(start, -1))
    day = date.fromisoformat(key)
    return (day, day + timedelta(days=1))


PERIOD_KEY = re.compile(r"^(today|yesterday|this_week|last_week|this_month|last_month|this_quarter|"
                        r"last_quarter|this_year|last_year|all_time|last_\d+_(days|weeks|months)|"
                        r"\d{4}(-\d{2}(-\d{2})?|-Q[1-4])?|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$")
KEYS = frozenset({"metrics", "period", "by", "filters", "exclude", "compare", "top", "bottom",
                  "intent", "kind", "days"})


def check_format(path: Path) -> list[str]:
    """What is malformed in a corpus file (without asking the parser anything)."""
    vocab = json.loads((HERE / "vocabulary.json").read_text(encoding="utf-8"))
    problems = []
    try:
        cases = load([path])
    except (ValueError, json.JSONDecodeError) as exc:
        return [str(exc)]
    for case in cases:
        readings = case.expect if isinstance(case.expect, list) else [case.expect]
        for exp in readings:
            if exp in ("refuse", "help"):
                continue
            if not isinstance(exp, dict) or set(exp) - KEYS:
                problems.append(f"{case.id}: bad expect {exp!r}")
                continue
            if case.workspace not in vocab:
                problems.append(f"{case.id}: unknown workspace {case.workspace}")
                continue
            values = vocab[case.workspace]["values"]
            if exp.get("period") is not None and not PERIOD_KEY.match(str(exp["period"])):
                problems.append(f"{case.id}: bad period {exp['period']!r}")
            for key in ("filters", "exclude"):
                for dim, vals in exp.get(key, {}).items():
                    missing = [v for v in vals if dim != "bettor" and v not in values.get(dim, [])]
                    if missing:
                        problems.append(f"{case.id}: {missing} not a stored {dim}")
            if exp.get("compare") not in (None, "previous", "year", "week"):
                problems.append(f"{case.id}: bad compare {exp['compare']!r}")
    return problems


if __name__ == "__main__":
    import sys
    bad = [p for f in sys.argv[1:] for p in check_format(Path(f))]
    print("\n".join(bad) or f"ok: {sum(len(load([Path(f)])) for f in sys.argv[1:])} questions")
