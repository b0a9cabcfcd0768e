"""The login budget: at most 2 refused logins in any 31 minutes, pauses growing 5, 10, 20, 40, 60 minutes."""

from __future__ import annotations

import math

from bot.core.login_budget import (
    WINDOW_SECONDS,
    Admission,
    LoginRecord,
    accepted,
    admit,
    next_attempt_at,
    pause_after,
    refused,
    released,
    third_in_window,
)

MINUTE = 60.0


def test_while_whmcs_accepts_the_credentials_every_call_goes() -> None:
    proven = accepted(LoginRecord())
    decision, record = admit(proven, 0.0, 30.0)
    assert decision.admission is Admission.FREE
    assert record == proven
    assert next_attempt_at(record) == -math.inf


def test_credentials_nobody_saw_accepted_are_tried_by_one_call_while_the_others_wait() -> None:
    first, trying = admit(LoginRecord(), 0.0, 30.0)
    assert first.admission is Admission.PROBE
    behind, _ = admit(trying, 1.0, 30.0)
    assert behind.admission is Admission.WAIT
    assert behind.resumes_at == 30.0
    assert admit(accepted(trying), 2.0, 30.0)[0].admission is Admission.FREE
    assert admit(refused(trying, 2.0, "Authentication Failed"), 3.0, 30.0)[0].admission is Admission.PAUSED
    assert admit(released(trying), 2.0, 30.0)[0].admission is Admission.PROBE, "no answer: the next tries"
    assert admit(trying, 30.0, 30.0)[0].admission is Admission.PROBE, "a probe that outlived any call"


def test_a_record_keeps_its_proof_through_the_store() -> None:
    proven = accepted(refused(LoginRecord(), 0.0, "x"))
    assert LoginRecord.from_json(proven.to_json()) == proven
    assert LoginRecord.from_json({"streak": 0}).proven is False, "a record of an older release proves nothing"


def test_the_pause_grows_with_each_refusal_in_a_row_up_to_an_hour() -> None:
    assert [pause_after(streak) / MINUTE for streak in range(1, 8)] == [5, 10, 20, 40, 60, 60, 60]


def test_each_refusal_pauses_and_never_allows_a_third_within_the_window() -> None:
    record, now, refusals = LoginRecord(), 0.0, []
    for _ in range(12):
        record = refused(record, now, "Authentication Failed")
        refusals.append(now)
        now = next_attempt_at(record)
    for first, third in zip(refusals, refusals[2:], strict=False):
        assert third - first >= WINDOW_SECONDS
    assert [round(moment / MINUTE) for moment in refusals[:5]] == [0, 5, 31, 51, 91]


def test_after_the_pause_one_call_probes_and_the_others_wait_for_it() -> None:
    record = refused(LoginRecord(), 0.0, "Authentication Failed")
    paused, _ = admit(record, 4 * MINUTE, 30.0)
    assert paused.admission is Admission.PAUSED
    assert paused.resumes_at == 5 * MINUTE
    assert paused.message == "Authentication Failed"
    probe, record = admit(record, 5 * MINUTE, 30.0)
    assert probe.admission is Admission.PROBE
    other, _ = admit(record, 5 * MINUTE + 1, 30.0)
    assert other.admission is Admission.PAUSED
    assert other.resumes_at == 5 * MINUTE + 30, "until the probe's reservation ends"
    again, _ = admit(released(record), 5 * MINUTE + 1, 30.0)
    assert again.admission is Admission.PROBE, "a probe without an answer lets the next call try"


def test_an_accepted_probe_lets_calls_flow_but_keeps_the_refusals_for_the_window() -> None:
    record = refused(refused(LoginRecord(), 0.0, "x"), 5 * MINUTE, "x")
    record = accepted(record)
    assert admit(record, 6 * MINUTE, 30.0)[0].admission is Admission.FREE
    record = refused(record, 6 * MINUTE, "x")
    assert next_attempt_at(record) == 5 * MINUTE + WINDOW_SECONDS, "not the 5-min pause: a window after 5 min"
    assert record.streak == 1


def test_check_knows_when_one_more_refusal_would_be_the_third() -> None:
    once = refused(LoginRecord(), 0.0, "x")
    assert not third_in_window(once, 6 * MINUTE)
    twice = refused(once, 5 * MINUTE, "x")
    assert third_in_window(twice, 20 * MINUTE)
    assert not third_in_window(twice, WINDOW_SECONDS)


def test_the_record_survives_the_store_and_nonsense_is_no_record() -> None:
    record = refused(refused(LoginRecord(), 1.5, "a"), 2.5, "b")
    _, reserved = admit(record, 10_000.0, 30.0)
    assert LoginRecord.from_json(reserved.to_json()) == reserved
    assert LoginRecord.from_json(record.to_json()) == record
    assert LoginRecord.from_json("nonsense") == LoginRecord()
    assert LoginRecord.from_json({"refused_at": ["x"]}) == LoginRecord()
