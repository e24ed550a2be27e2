"""Chat slang and abbreviations, spelled out before any stage reads the question.

People type "rev yday pls", "# of orders atm", "orders w/ discounts", "mtd vs ly". The
stages (periods, comparisons, rankings, the lexicon) are written for the spelled-out
words, so this table rewrites the message first; it is data, one line per spelling, and
a spelling that is a stored value of the workspace (a market called "mo") is left alone.

The rewrites are understood, not guessed: they are not reported back as corrections.
"""

from __future__ import annotations

import re
from functools import cache

from agents.parser.idioms import IDIOMS

# Whole words, case-insensitive: what is typed -> what it means.
SLANG: dict[str, str] = {
    # time
    "atm": "at the moment", "rn": "right now", "yday": "yesterday", "yest": "yesterday",
    "ystd": "yesterday", "ystrdy": "yesterday", "wek": "week", "2day": "today", "tdy": "today",
    "2nite": "tonight", "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow",
    "2moro": "tomorrow", "2morrow": "tomorrow", "wk": "week", "wks": "weeks", "wkly": "weekly",
    "yr": "year", "yrs": "years", "yrly": "yearly", "mo": "month", "mos": "months",
    "mth": "month", "mths": "months", "mnth": "month", "mnths": "months", "qtr": "quarter",
    "qtrs": "quarters", "wknd": "weekend", "mtd": "month to date", "ytd": "year to date",
    "wtd": "week to date", "qtd": "quarter to date",
    # comparisons
    "versus": "vs", "vrs": "vs",
    # metrics and words around them
    "lvl": "level", "lvls": "levels", "oos": "out of stock",  # stock levels, stock-outs
    "rev": "revenue", "revs": "revenue", "amt": "amount", "avg": "average", "nbr": "number",
    "num": "number", "qty": "quantity", "pct": "percent", "perc": "percent", "ppl": "people",
    "pts": "points", "val": "value", "vals": "values", "inv": "inventory", "lb": "leaderboard",
    "doc": "days of cover",
    # chat
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "pleeze": "please",
    "thx": "thanks", "thnx": "thanks", "tks": "thanks", "ty": "thanks", "abt": "about",
    "hv": "have", "cn": "can", "frm": "from", "wat": "what", "wut": "what", "whats": "what is",
    "whos": "who is",
    "hw": "how", "wats": "what is", "wht": "what", "lst": "last", "gonna": "going to",
    "gotta": "got to", "wanna": "want to", "gimme": "give me", "lemme": "let me",
    "thru": "through", "til": "until", "doin": "doing", "goin": "going", "sellin": "selling",
    "makin": "making", "gettin": "getting", "lookin": "looking",
}

# Symbols and shorthand with punctuation, which the word pass would drop: pattern -> words.
# "#" before a word is "number of" ("# of orders" reads "number of of orders", harmless);
# not inside Slack's "<#C123>" channel links, and not "#1" (a rank).
SYMBOLS: tuple[tuple[str, str], ...] = (
    (r"(?<![<\w&])#\s*(?:of\s+)?(?=[a-z])", "number of "),
    (r"(?<![\w/])w/o(?=\s|$)", "without"),
    (r"(?<![\w/])w/(?!l\b|o\b)\s*", "with "),
    (r"(?<![\w/])v\.(?=\s)", "vs"),
    (r"(?<![\w/])no\.(?=\s*of\b)", "number"),
    (r"(?<![\w.])r\.o\.i\b\.?", "roi"),
    (r"(?<![\w'])how'd(?![\w'])", "how did"),
    (r"(?<![<\w&])#\s*1(?!\d)", "top"),
    (r"(?<![\w.])r\.o\.a\.s\b\.?", "roas"),
)


@cache
def _word_pattern() -> re.Pattern[str]:
    words = sorted((w for w in SLANG if w.isalnum()), key=len, reverse=True)
    return re.compile(rf"(?<![\w'/.<@#:&-])({'|'.join(map(re.escape, words))})(?![\w/@>:&-])",
                      re.IGNORECASE)


@cache
def _symbol_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.IGNORECASE), words) for p, words in (*SYMBOLS, *IDIOMS))


def spell_out(message: str, stored: frozenset[str] = frozenset()) -> str:
    """``message`` with slang and shorthand spelled out ("rev yday pls" -> "revenue
    yesterday please"); words in ``stored`` (the workspace's own folded values) stay."""
    for pattern, words in _symbol_patterns():
        message = pattern.sub(words, message)

    def word(match: re.Match[str]) -> str:
        typed = match.group(1)
        if typed.lower() in stored or _inside_name(message, match.start(1), stored):
            return typed
        return SLANG[typed.lower()]

    return _word_pattern().sub(word, message)


def _inside_name(message: str, at: int, stored: frozenset[str]) -> bool:
    """The word at ``at`` is part of a multi-word stored name ("Moneyline Mo", a bettor)."""
    lowered = message.lower()
    for name in stored:
        if " " in name and name in lowered:  # a plain test first: most names are absent
            for found in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
                if found.start() <= at < found.end():
                    return True
    return False
