"""Where a message came from and where its answer (or a report, or an alert) goes.

A :class:`ConversationRef` names a chat on a platform; the runtime's channels make them
from platform events, and the stores of subscriptions and alert rules keep them. It is
plain data, so the brain and storage can hold one without knowing any platform.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Platforms where a thread is only the place a question was asked, not where reports go:
#: a Slack mention is answered in a thread rooted at it, but digests belong in the channel.
THREADS_ARE_REPLIES = frozenset({"slack"})


@dataclass(frozen=True)
class ConversationRef:
    """Where a message came from and where its answer goes.

    Attributes:
        platform: one of ``bot.channels.base.PLATFORMS``.
        chat_id: the Slack channel, Discord channel, Telegram chat or WhatsApp number.
        thread_id: the Slack thread ``ts`` (or None outside threads).
        space_id: the Slack team or Discord guild: what a workspace binding may name.
    """

    platform: str
    chat_id: str
    thread_id: str | None = None
    space_id: str | None = None

    @property
    def key(self) -> str:
        """The conversation's identity for memory: platform, channel and thread."""
        parts = [self.platform, self.space_id or "-", self.chat_id]
        if self.thread_id:
            parts.append(self.thread_id)
        return ":".join(parts)


def target_ref(ref: ConversationRef) -> ConversationRef:
    """Where a subscription or alert made in ``ref`` posts (Slack: the channel, not the thread)."""
    if ref.platform in THREADS_ARE_REPLIES:
        return ConversationRef(ref.platform, ref.chat_id, None, ref.space_id)
    return ref
