"""The one error funnel: the person gets a short reply with an error id, the log the
traceback under the same id, wherever the failure happened."""

from __future__ import annotations

import logging
import re

from bot.funnel import error_reply, process_error


def fail() -> None:
    raise RuntimeError("the disk is on fire at /secret/path")


def test_the_log_gets_the_traceback_and_the_person_only_the_error_id(caplog):
    with caplog.at_level(logging.ERROR):
        try:
            fail()
        except RuntimeError:
            error_id = process_error("answering %s in %s", "telegram", "telegram:-:42")
    reply = error_reply(error_id)
    assert re.fullmatch(r"[0-9a-f]{8}", error_id)
    assert f"error {error_id}" in reply.text and not reply.ok
    assert "fire" not in reply.text and "/secret" not in reply.text
    [record] = caplog.records
    assert record.getMessage() == f"error {error_id} answering telegram in telegram:-:42"
    assert record.exc_info is not None and "disk is on fire" in str(record.exc_info[1])


def test_each_failure_gets_its_own_error_id(caplog):
    ids = set()
    for _ in range(3):
        try:
            fail()
        except RuntimeError:
            ids.add(process_error("a scheduled job"))
    assert len(ids) == 3


def test_the_failing_part_s_own_logger_carries_the_record(caplog):
    own = logging.getLogger("bot.scheduler")
    with caplog.at_level(logging.ERROR):
        try:
            fail()
        except RuntimeError:
            process_error("building the %s of %s", "digest", "shop", log=own)
    assert [r.name for r in caplog.records] == ["bot.scheduler"]

