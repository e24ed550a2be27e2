"""Telegram's side of a reply: HTML messages of at most 4096 characters and a photo.

Pure functions, no SDK: :func:`render` turns a :class:`~agents.reply.Reply` into what the
Bot API is sent, and :func:`split_text` (shared with WhatsApp) cuts long text at
paragraph, line or word boundaries, never inside an HTML tag or an escape sequence.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agents.reply import Reply
from bot.channels.choices import label, numbered

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
#: A choice button's ``callback_data`` (≤ 64 bytes): this prefix, the number, the answer id.
CHOICE_PREFIX = "choice"
_SEPARATORS = ("\n\n", "\n", " ")


@dataclass(frozen=True)
class TelegramMessages:
    """What one reply becomes on Telegram.

    Attributes:
        texts: HTML messages (``parse_mode=HTML``), each within the Bot API's 4096 limit.
        photo: path of the chart PNG to send with ``sendPhoto``, if any.
        caption: the photo's HTML caption (≤ 1024); when set, the photo goes first and
            carries the answer's sentence, and ``texts`` hold the rest.
        buttons: the readings offered, as ``(label, callback_data)`` for an inline keyboard
            under the last text.
    """

    texts: tuple[str, ...]
    photo: str | None = None
    caption: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()


def escape(text: str) -> str:
    """Escapes data and user text for Telegram's HTML parse mode (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def render(reply: Reply, limit: int = TEXT_LIMIT) -> TelegramMessages:
    """The Telegram messages of a reply: text, the table as ``<pre>``, suggestions, chart."""
    caption = None
    if reply.chart and reply.text and len(escape(reply.text)) <= CAPTION_LIMIT:
        caption = escape(reply.text)
    fragments: list[str] = []
    if reply.text and caption is None:
        fragments += [escape(p) for p in split_text(reply.text, lambda s: len(escape(s)) <= limit)]
    buttons = choice_buttons(reply)
    if reply.choices and not buttons:  # nothing recorded to point a button at: numbered lines
        fragments += [escape(p) for p in split_text(numbered(reply.choices),
                                                    lambda s: len(escape(s)) <= limit)]
    if reply.table is not None:
        fragments += [f"<pre>{escape(p)}</pre>" for p in split_text(
            reply.table.as_text(), lambda s: len(escape(s)) + len("<pre></pre>") <= limit,
            separators=("\n",))]
    if reply.suggestions:
        tries = "Try: " + " · ".join(f"“{s}”" for s in reply.suggestions)
        fragments += [f"<i>{escape(p)}</i>" for p in split_text(
            tries, lambda s: len(escape(s)) + len("<i></i>") <= limit)]
    texts = tuple(pack(fragments, limit))
    if buttons and not texts:  # an inline keyboard needs a message to hang under
        texts = (escape(reply.text or "Which one?")[:limit],)
    return TelegramMessages(texts, reply.chart, caption, buttons)


def choice_buttons(reply: Reply) -> tuple[tuple[str, str], ...]:
    """``(label, callback_data)`` per choice; none without an answer id to point at."""
    if not reply.answer_id:
        return ()
    return tuple((label(choice), f"{CHOICE_PREFIX}:{n}:{reply.answer_id}")
                 for n, choice in enumerate(reply.choices, 1))


def choice_from_callback(data: str | None) -> tuple[str, int] | None:
    """``(answer_id, number)`` of a choice button's ``callback_data``, else None."""
    prefix, _, rest = (data or "").partition(":")
    number, _, answer_id = rest.partition(":")
    if prefix != CHOICE_PREFIX or not number.isdigit() or not answer_id:
        return None
    return answer_id, int(number)


def pack(fragments: Sequence[str], limit: int, joiner: str = "\n\n") -> list[str]:
    """Joins whole fragments into as few messages as fit in ``limit`` characters each."""
    messages: list[str] = []
    current = ""
    for fragment in fragments:
        candidate = f"{current}{joiner}{fragment}" if current else fragment
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = fragment
    if current:
        messages.append(current)
    return messages


def split_text(text: str, fits: Callable[[str], bool],
               separators: Sequence[str] = _SEPARATORS) -> list[str]:
    """Cuts ``text`` into pieces that each satisfy ``fits``, at the coarsest boundary possible.

    Paragraphs first, then lines, then words; a single word longer than the limit is cut
    between characters. ``fits`` measures a raw piece (e.g. its escaped length), so an
    escape sequence is never cut in half. Blank pieces are dropped.
    """
    return [piece for piece in _split(text, fits, separators) if piece.strip()]


def _split(text: str, fits: Callable[[str], bool], separators: Sequence[str]) -> list[str]:
    if fits(text):
        return [text]
    if not separators:
        return _split_characters(text, fits)
    separator, finer = separators[0], separators[1:]
    pieces: list[str] = []
    current = ""
    for part in text.split(separator):
        candidate = f"{current}{separator}{part}" if current else part
        if fits(candidate):
            current = candidate
            continue
        if current:
            pieces.append(current)
        if fits(part):
            current = part
        else:
            *done, current = _split(part, fits, finer)
            pieces += done
    pieces.append(current)
    return pieces


def _split_characters(text: str, fits: Callable[[str], bool]) -> list[str]:
    pieces: list[str] = []
    while text:
        low, high = 1, len(text)  # the longest prefix that fits, by bisection (fits is monotone)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(text[:middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(text[:low])
        text = text[low:]
    return pieces
