"""The one suppression function that planning and sending both apply: its checks, in their order."""

import pytest

from shared.domain.reminders import (
    OPT_OUT_CONFIRMATION,
    Channel,
    ContactPrefs,
    Purpose,
    SuppressionReason,
    suppression_reason,
)

R = SuppressionReason
ALL_CONSENTS = frozenset((channel, purpose) for channel in Channel for purpose in Purpose)


def prefs(**overrides) -> ContactPrefs:
    return ContactPrefs(**{"has_email": True, "has_phone": True, "consents": ALL_CONSENTS, **overrides})


@pytest.mark.parametrize(
    ("channel", "contact", "expected"),
    [
        ("sms", prefs(), None),
        ("email", prefs(), None),
        ("sms", prefs(has_phone=False, sms_opted_out=True, consents=frozenset()), R.NO_ADDRESS),  # first
        ("sms", prefs(sms_opted_out=True, consents=frozenset()), R.OPTED_OUT),  # before consent
        ("sms", prefs(email_suppressed=True, has_email=False), None),  # email troubles don't stop SMS
        ("email", prefs(has_email=False, email_suppressed=True), R.NO_ADDRESS),
        ("email", prefs(email_suppressed=True, consents=frozenset()), R.BOUNCED),
        ("email", prefs(sms_opted_out=True, has_phone=False), None),  # STOP doesn't stop email
        ("email", prefs(consents=frozenset({(Channel.SMS, Purpose.BILLING)})), R.NO_CONSENT),
    ],
)
def test_checks_apply_in_order_and_the_first_that_applies_is_the_reason(channel, contact, expected):
    assert suppression_reason(channel, "billing", contact) is expected


def test_consent_is_per_channel_and_purpose():
    only_sms_billing = prefs(consents=frozenset({(Channel.SMS, Purpose.BILLING)}))
    assert suppression_reason("sms", "billing", only_sms_billing) is None
    assert suppression_reason("sms", "appointment", only_sms_billing) is R.NO_CONSENT


def test_replies_need_no_consent_and_only_the_opt_out_confirmation_reaches_an_opted_out_number():
    no_consent = prefs(consents=frozenset())
    assert suppression_reason("sms", "appointment", no_consent, reply_kind="help_reply") is None
    opted_out = prefs(sms_opted_out=True)
    assert suppression_reason("sms", "appointment", opted_out, reply_kind=OPT_OUT_CONFIRMATION) is None
    assert suppression_reason("sms", "appointment", opted_out, reply_kind="help_reply") is R.OPTED_OUT
    assert suppression_reason("sms", "appointment", prefs(has_phone=False), reply_kind="help_reply") is R.NO_ADDRESS
