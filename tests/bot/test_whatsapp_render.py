"""WhatsApp's translation functions on recorded Cloud API webhook payloads, and rendering."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from agents.reply import Reply, TableData
from bot.channels.whatsapp import valid_signature
from bot.channels.whatsapp_render import (
    failed_statuses,
    inbound_messages,
    render,
    template_message,
    template_parameter,
)

# Two texts and an image in one delivery, as the Cloud API batches them.
BATCH: dict[str, Any] = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Ana Souza"}, "wa_id": "5511987654321"},
                     {"profile": {"name": "Bruno"}, "wa_id": "5521999990000"}],
        "messages": [
            {"from": "5511987654321", "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDNjA1",
             "timestamp": "1743465600", "text": {"body": "  revenue\nmarch 2025 "}, "type": "text"},
            {"from": "5521999990000", "id": "wamid.HBgNNTUyMTk5OTk5MDAwMBUCABIYFjNFQjBDNjA2",
             "timestamp": "1743465601", "type": "image",
             "image": {"mime_type": "image/jpeg", "sha256": "abc", "id": "1003383421387256"}},
            {"from": "5521999990000", "id": "wamid.HBgNNTUyMTk5OTk5MDAwMBUCABIYFjNFQjBDNjA3",
             "timestamp": "1743465602", "text": {"body": "orders today"}, "type": "text",
             "context": {"from": "15550783881", "id": "wamid.earlier"}},
        ]}}]}],
}

FAILED: dict[str, Any] = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [
            {"id": "wamid.A", "status": "failed", "timestamp": "1744609253", "recipient_id": "5511987654321",
             "errors": [{"code": 131047, "title": "Re-engagement message"}]},
            {"id": "wamid.B", "status": "delivered", "timestamp": "1744609254",
             "recipient_id": "5511987654321"}]}}]}],
}


def test_a_batch_yields_its_text_messages_with_e164_chats_and_wamid_event_ids() -> None:
    first, second = inbound_messages(BATCH)
    assert (first.ref.platform, first.ref.chat_id, first.ref.thread_id) == ("whatsapp", "+5511987654321", None)
    assert (first.text, first.user_id, first.user_name) == ("revenue march 2025", "5511987654321", "Ana Souza")
    assert first.event_id == "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDNjA1"
    assert not first.is_admin and first.command is None
    assert (second.ref.chat_id, second.user_name, second.text) == ("+5521999990000", "Bruno", "orders today")


def test_statuses_carry_no_messages_and_failures_are_read_with_their_code() -> None:
    assert inbound_messages(FAILED) == []
    assert failed_statuses(FAILED) == [("wamid.A", 131047)]
    assert failed_statuses(BATCH) == []


def test_render_uses_code_blocks_for_tables_and_bold_for_suggestions() -> None:
    reply = Reply("Revenue by country: $240.00.", TableData(("Country", "Revenue"), (("BR", "$110.00"),)),
                  suggestions=("revenue last week", "orders yesterday"))
    [message] = render(reply).texts
    assert message == ("Revenue by country: $240.00.\n\n```\nCountry  Revenue\n-------  -------\n"
                       "BR       $110.00\n```\n\n*Try:* “revenue last week” · “orders yesterday”")


def test_a_long_table_is_split_into_closed_code_blocks() -> None:
    rows = tuple((f"product {i:02d}", f"${i}.00") for i in range(15))
    texts = render(Reply("", TableData(("Product", "Revenue"), rows)), limit=120).texts
    assert len(texts) > 1 and all(len(t) <= 120 for t in texts)
    assert all(t.startswith("```\n") and t.endswith("\n```") for t in texts)


def test_chart_caption_is_the_answer_when_it_fits() -> None:
    rendered = render(Reply("Up 5%.", chart="/tmp/c.png"))
    assert (rendered.image, rendered.caption, rendered.texts) == ("/tmp/c.png", "Up 5%.", ())


def test_template_parameter_is_one_line_without_runs_of_spaces() -> None:
    assert template_parameter("Revenue fell.\n\n```\nBR    $1\n```") == "Revenue fell. · ``` · BR $1 · ```"
    assert len(template_parameter("x" * 5000)) == 1024
    body = template_message("+5511987654321", "tally_alert", "en", "Hi")
    assert body["to"] == "5511987654321" and body["template"]["language"] == {"code": "en"}


def test_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    real = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert valid_signature(body, real, "secret")
    assert not valid_signature(body, real, "another secret")
    assert not valid_signature(body + b" ", real, "secret")
    assert not valid_signature(body, None, "secret") and not valid_signature(body, "sha256=é", "secret")
