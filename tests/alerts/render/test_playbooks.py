"""Playbooks: every complaint category has one, in Persian and English, with the shared principles."""

from __future__ import annotations

import pytest
import yaml

from alerts.playbooks import GENERIC, PlaybookError, builtin_playbooks, parse_playbooks, playbook_for
from alerts.render.escaping import text_direction
from streams.category import CATEGORIES


def test_every_category_and_the_generic_one_exist():
    books = builtin_playbooks()
    assert set(CATEGORIES) | {GENERIC} <= set(books)


@pytest.mark.parametrize("category", [*CATEGORIES, GENERIC])
def test_each_playbook_is_bilingual_and_persian_reads_rtl(category):
    book = builtin_playbooks()[category]
    assert len(book.steps_fa) == len(book.steps_en) >= 7
    for step in (*book.steps_fa, book.title_fa, book.first_reply_fa, book.owner_fa):
        assert text_direction(step) == "rtl", step
    for step in (*book.steps_en, book.title_en, book.first_reply_en):
        assert text_direction(step) == "ltr", step


@pytest.mark.parametrize("category", [*CATEGORIES, GENERIC])
def test_shared_principles_are_in_every_playbook(category):
    steps = " ".join(builtin_playbooks()[category].steps_en).lower()
    for principle in ("publicly", "empathize", "do not deny", "private channel", "after-sales"):
        assert principle in steps, principle


def test_category_steps_differ_between_categories():
    books = builtin_playbooks()
    specific = {c: books[c].steps_en[3] for c in CATEGORIES}
    assert len(set(specific.values())) == len(CATEGORIES)


def test_unknown_or_missing_category_falls_back_to_generic():
    assert playbook_for(None).category == GENERIC
    assert playbook_for("weather").category == GENERIC
    assert playbook_for("billing").category == "billing"


def test_malformed_playbook_file_is_rejected_with_the_place():
    data = yaml.safe_load(
        """
common:
  before: {fa: ["الف"], en: ["a"]}
  after: {fa: ["ب"], en: ["b"]}
categories:
  generic:
    title: {fa: "عمومی", en: "General"}
    owner: {fa: "پشتیبانی", en: "support"}
    steps: {fa: ["یک", "دو"], en: ["one"]}
    first_reply: {fa: "سلام", en: "hi"}
"""
    )
    with pytest.raises(PlaybookError, match=r"categories\.generic\.steps: 'fa' has 2 steps but 'en' has 1"):
        parse_playbooks(data)
