"""The status words of `common.labels` (standard library only: runs in both virtualenvs).
That every status of the backend's enums has one is `tests/api/test_labels.py`."""

import re

import pytest

from common import labels

TABLES = [labels.BOOKING_STATUS, labels.CASE_STATUS, labels.NEED_REPORT_STATUS]


@pytest.mark.parametrize("table", TABLES)
def test_each_status_has_its_own_chinese_word(table: dict[str, str]) -> None:
    assert table  # not empty
    for word in table.values():
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,8}", word), word
    assert len(set(table.values())) == len(table)  # two statuses never read the same


def test_the_lookup_functions_name_known_statuses_and_pass_unknown_ones_through() -> None:
    assert labels.booking_status("checked_out") == "已完成"
    assert labels.case_status("under_review") == "审核中"
    assert labels.need_report_status("following_up") == "跟进中"
    # A status added to the backend before it has a word is shown as it is, not dropped.
    assert labels.booking_status("on_hold") == "on_hold"
    assert labels.case_status("") == ""


def test_every_kind_of_danger_the_lexicon_names_has_the_words_a_worker_reads() -> None:
    """An emergency alert says which danger (跌倒, 燃气、火灾或中毒, 正在受到暴力): each category
    of bot/lexicons/emergency.yml that names a danger has its words, and none is left over."""
    from common.danger_signs import WAYS_OF_WRITING, DangerSigns

    kinds = set(DangerSigns.load().patterns) - WAYS_OF_WRITING
    assert kinds == set(labels.DANGER)
    assert len(set(labels.DANGER.values())) == len(labels.DANGER)
