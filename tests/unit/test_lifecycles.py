"""The appointment, financing, claim and outbox lifecycles: every legal move, and a 422 naming the rule for
every illegal one (the tables are small enough to walk whole)."""

import pytest

from shared.domain import appointment_lifecycle, claim_lifecycle, financing_lifecycle, outbox_lifecycle
from shared.domain.appointment_lifecycle import APPOINTMENT, AppointmentOperation, AppointmentStatus
from shared.domain.claim_lifecycle import LIFECYCLES, ClaimKind, ClaimStatus
from shared.domain.financing_lifecycle import FINANCING, FinancingStatus
from shared.domain.lifecycle import IllegalTransition
from shared.domain.outbox_lifecycle import OUTBOX, MessageOperation, MessageStatus
from shared.errors import RuleViolation

A = AppointmentStatus
Op = AppointmentOperation


# ---- appointments ---------------------------------------------------------------------------------------

APPOINTMENT_ALLOWED = {
    Op.RESCHEDULE: {A.SCHEDULED, A.CONFIRMED},
    Op.CONFIRM: {A.SCHEDULED, A.CONFIRMED},
    Op.ARRIVE: {A.SCHEDULED, A.CONFIRMED},
    Op.COMPLETE: {A.SCHEDULED, A.CONFIRMED, A.ARRIVED},
    Op.CANCEL: {A.SCHEDULED, A.CONFIRMED},
    Op.NO_SHOW: {A.SCHEDULED, A.CONFIRMED},
}


@pytest.mark.parametrize("operation", list(Op))
@pytest.mark.parametrize("status", list(A))
def test_appointment_operations_apply_exactly_where_the_table_says(status, operation):
    if status in APPOINTMENT_ALLOWED[operation]:
        assert appointment_lifecycle.status_after(status, operation) in {s.value for s in A}
        return
    with pytest.raises(IllegalTransition) as refused:
        appointment_lifecycle.status_after(status, operation)
    assert isinstance(refused.value, RuleViolation)  # HTTP 422
    expected = f"appointment lifecycle: cannot {operation} an appointment that is {status}"
    assert refused.value.message.startswith(expected)


def test_appointment_outcomes():
    after = appointment_lifecycle.status_after
    assert after("scheduled", Op.CONFIRM) == after("confirmed", Op.CONFIRM) == "confirmed"
    assert after("confirmed", Op.ARRIVE) == "arrived"
    assert after("arrived", Op.COMPLETE) == "completed"
    assert after("confirmed", Op.NO_SHOW) == "no_show"
    assert after("scheduled", Op.CANCEL) == "cancelled"
    assert after("confirmed", Op.RESCHEDULE, start_moved=True) == "scheduled"  # confirm the new time again
    assert after("confirmed", Op.RESCHEDULE) == "confirmed"  # a longer visit at the same time
    assert after(A.SCHEDULED, Op.CANCEL) is A.CANCELLED  # the typed status the Appointment value holds
    with pytest.raises(IllegalTransition, match="cannot no-show an appointment that is completed"):
        after(A.COMPLETED, Op.NO_SHOW)


def test_upcoming_is_scheduled_or_confirmed():
    assert {s for s in A if appointment_lifecycle.is_upcoming(s)} == {A.SCHEDULED, A.CONFIRMED}
    assert APPOINTMENT.allowed_from(Op.CANCEL) == {A.SCHEDULED, A.CONFIRMED}


# ---- financing ------------------------------------------------------------------------------------------

F = FinancingStatus
FINANCING_MOVES = {F.APPLIED: {F.APPROVED, F.DECLINED, F.CANCELLED, F.FUNDED}, F.APPROVED: {F.FUNDED}}


@pytest.mark.parametrize("wanted", list(F))
@pytest.mark.parametrize("status", list(F))
def test_financing_moves_exactly_where_the_table_says(status, wanted):
    if wanted == status:
        assert financing_lifecycle.next_status(status, wanted) == status  # naming the current status is no move
    elif wanted in FINANCING_MOVES.get(status, set()):
        assert financing_lifecycle.next_status(status, wanted) == wanted
    else:
        with pytest.raises(IllegalTransition, match=f"^financing lifecycle: cannot .* an application that is {status}"):
            financing_lifecycle.next_status(status, wanted)
    assert financing_lifecycle.next_status(status, None) == status


def test_financing_statuses_come_back_as_the_enum_the_record_holds():
    assert financing_lifecycle.next_status("applied", "approved") is F.APPROVED


def test_a_refused_financing_move_says_what_is_possible():
    with pytest.raises(IllegalTransition) as refused:
        financing_lifecycle.next_status(F.DECLINED, F.FUNDED)
    assert refused.value.message == (
        "financing lifecycle: cannot fund an application that is declined (allowed from: applied, approved); "
        "declined is final")
    with pytest.raises(IllegalTransition, match="from approved it can become funded"):
        financing_lifecycle.next_status(F.APPROVED, F.CANCELLED)


def test_financing_posts_the_payment_on_the_first_of_approved_or_funded():
    assert financing_lifecycle.posts_payment(F.APPLIED, F.APPROVED)
    assert financing_lifecycle.posts_payment(F.APPLIED, F.FUNDED)
    assert not financing_lifecycle.posts_payment(F.APPROVED, F.FUNDED)  # charged already on approval
    assert not financing_lifecycle.posts_payment(F.APPLIED, F.DECLINED)
    assert FINANCING.allowed_from(financing_lifecycle.FinancingOperation.FUND) == {F.APPLIED, F.APPROVED}


# ---- claims ---------------------------------------------------------------------------------------------

C = ClaimStatus
CLAIM_MOVES = {
    ClaimKind.CLAIM: {C.SUBMITTED: {C.PAID, C.DENIED, C.CLOSED}, C.DENIED: {C.SUBMITTED, C.CLOSED}},
    ClaimKind.PREDETERMINATION: {C.SUBMITTED: {C.APPROVED, C.DENIED, C.CLOSED}, C.APPROVED: {C.CLOSED},
                                 C.DENIED: {C.CLOSED}},
}


@pytest.mark.parametrize("kind", list(ClaimKind))
def test_claims_move_exactly_where_their_kinds_table_says(kind):
    for status in C:
        for wanted in C:
            if wanted == status or wanted in CLAIM_MOVES[kind].get(status, set()):
                assert claim_lifecycle.next_status(kind, status, wanted) == wanted
                continue
            with pytest.raises(IllegalTransition) as refused:
                claim_lifecycle.next_status(kind, status, wanted)
            assert refused.value.message.startswith(f"{kind} lifecycle: cannot ")


def test_a_claim_appeal_and_a_predetermination_that_pays_nothing():
    appealed = claim_lifecycle.next_status("claim", "denied", "submitted")
    assert appealed is C.SUBMITTED  # the enum the record holds
    with pytest.raises(IllegalTransition, match="cannot mark as paid a predetermination that is submitted"):
        claim_lifecycle.next_status("predetermination", "submitted", "paid")
    with pytest.raises(IllegalTransition, match="paid is final"):
        claim_lifecycle.next_status("claim", "paid", "closed")
    assert {s for s in C if claim_lifecycle.is_open(s)} == {C.SUBMITTED, C.APPROVED}
    assert set(LIFECYCLES) == set(ClaimKind)


# ---- outbox rows ----------------------------------------------------------------------------------------

M = MessageStatus
OUTBOX_MOVES = {  # status -> statuses a row can be written with next
    M.PLANNED: {M.PLANNED, M.SUPPRESSED, M.CANCELLED, M.SENDING, M.FAILED, M.EXPIRED},
    M.SUPPRESSED: {M.PLANNED, M.SUPPRESSED, M.CANCELLED, M.EXPIRED},  # expired: a legacy `past` suppression
    M.CANCELLED: {M.PLANNED, M.SUPPRESSED},
    M.SENDING: {M.SENDING, M.SENT, M.FAILED, M.PLANNED, M.SUPPRESSED, M.CANCELLED, M.EXPIRED, M.UNCONFIRMED},
    M.SENT: set(),
    M.FAILED: set(),
    M.EXPIRED: set(),
    M.UNCONFIRMED: set(),  # the provider may have it: never sent again blindly
}


@pytest.mark.parametrize("status", list(M))
def test_outbox_rows_move_exactly_where_the_table_says(status):
    for to in M:
        if to in OUTBOX_MOVES[status]:
            outbox_lifecycle.require_move(status, to)
            continue
        with pytest.raises(IllegalTransition, match=f"^outbox lifecycle: cannot .* a message that is {status}"):
            outbox_lifecycle.require_move(status, to)


def test_outbox_operations_name_the_rows_they_touch():
    assert {s for s in M if outbox_lifecycle.is_cancellable(s)} == {M.PLANNED, M.SUPPRESSED}  # never a taken row
    assert {s for s in M if outbox_lifecycle.is_replannable(s)} == {M.PLANNED, M.SUPPRESSED, M.CANCELLED}
    assert {s for s in M if outbox_lifecycle.is_suppressible(s)} == {M.PLANNED}
    assert OUTBOX.allowed_from(MessageOperation.RECORD_SENT) == {M.SENDING}  # only a claimed row is sent
    with pytest.raises(IllegalTransition, match="sent is final"):
        outbox_lifecycle.require_move(M.SENT, M.PLANNED)
