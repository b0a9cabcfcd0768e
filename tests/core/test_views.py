"""What one answer shows (CreditView) and the button value that draws it again (ViewRef)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.core.clients import PLAIN
from bot.core.commands import MAX_CLIENT_ID
from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters
from bot.core.views import MAX_OFFSET, CreditView, ViewRef
from tests.core.people import jane_doe

LOG = CreditLog.of(
    42,
    [
        CreditEntry(1, date(2024, 1, 1), "Top-up", Decimal("10.00")),
        CreditEntry(2, date(2024, 2, 1), "Used", Decimal("-4.00")),
    ],
)


@pytest.mark.parametrize(
    ("ref", "value"),
    [
        (ViewRef(42), "42|0|||"),
        (ViewRef(42, 20), "42|20|||"),
        (
            ViewRef(7, 40, Filters(since=date(2024, 1, 1), until=date(2024, 6, 30), last=50)),
            "7|40|2024-01-01|2024-06-30|50",
        ),
        (ViewRef(MAX_CLIENT_ID, MAX_OFFSET, Filters(last=1)), f"{MAX_CLIENT_ID}|{MAX_OFFSET}|||1"),
    ],
)
def test_a_button_value_names_client_page_and_filters_and_reads_back(ref: ViewRef, value: str) -> None:
    assert ref.encode() == value
    assert ViewRef.decode(value) == ref


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "42",
        "42|0||",
        "42|0||||",
        "0|0|||",
        f"{MAX_CLIENT_ID + 1}|0|||",
        "42|-1|||",
        "42|x|||",
        f"42|{MAX_OFFSET + 1}|||",
        "42|0|2024-13-01||",
        "42|0|2024-02-01|2024-01-01|",
        "42|0|||0",
        "42|0|||1e3",
        "\uff14\uff12|0|||",
        "42|0|||" + "1" * 100,
    ],
)
def test_anything_this_bot_did_not_write_is_refused(value: object) -> None:
    assert ViewRef.decode(value) is None


def test_a_hash_in_the_client_part_reads_as_typed_text_would() -> None:
    """`parse_client_id` allows `#42` as typed text does: a value asks for nothing `/credits` refuses."""
    assert ViewRef.decode("#42|0|||") == ViewRef(42)


def test_the_view_shows_its_filters_over_the_whole_log() -> None:
    view = CreditView(LOG, Filters(since=date(2024, 2, 1)))
    assert view.client_id == 42
    assert [entry.id for entry in view.shown.entries] == [2]
    assert view.log.total == Decimal("6.00")
    assert view.currency is PLAIN and view.notes == () and view.details is None


def test_buttons_carry_this_client_and_these_filters_to_another_page() -> None:
    filters = Filters(last=10)
    assert CreditView(LOG, filters, offset=20).ref(40) == ViewRef(42, 40, filters)
    assert CreditView(LOG).ref(0) == ViewRef(42, 0, NO_FILTERS)


@pytest.mark.parametrize(
    ("credit", "differs"), [(None, None), ("6.00", None), ("6.0", None), ("7.00", "7.00")]
)
def test_a_balance_that_is_not_the_sum_of_the_log_is_pointed_out(
    credit: str | None, differs: str | None
) -> None:
    view = CreditView(LOG, details=jane_doe(credit))
    assert view.differing_balance == (None if differs is None else Decimal(differs))


def test_without_client_details_there_is_no_balance_to_compare() -> None:
    assert CreditView(LOG).differing_balance is None
