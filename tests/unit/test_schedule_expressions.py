"""EventBridge schedule expressions: what the generator accepts, and how often each fires."""

from __future__ import annotations

import pytest

from infra.schedule_expressions import is_valid, period_seconds

GOOD_SCHEDULES = [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 2 * * ? *)", "cron(0/15 * * * ? *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 18 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)", "cron(0 0 15W * ? *)", "cron(0,30 8-17 ? JAN,JUL MON *)",
]
BAD_SCHEDULES = [
    "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(-5 minutes)", "rate(5 seconds)",
    "rate(1.5 hours)", "rate(5  minutes)", "0 2 * * *", "cron(0 2 * * *)", "cron(0 2 * * ? * *)",
    "cron(0 2 * * * *)", "cron(0 2 ? * ? *)", "cron(60 2 * * ? *)", "cron(0 24 * * ? *)",
    "cron(0 2 32 * ? *)", "cron(0 2 ? 13 * *)", "cron(0 2 ? * 8 *)", "cron(0 2 ? * MON#6 *)",
    "cron(0/0 * * * ? *)", "cron(0 2 ? * MON-FOO *)", "cron(0 2 L * MON *)", "cron(0 2 * * ? 1969)",
]


@pytest.mark.parametrize("expression", GOOD_SCHEDULES)
def test_schedule_validator_accepts_eventbridge_syntax(expression: str) -> None:
    assert is_valid(expression)


@pytest.mark.parametrize("expression", BAD_SCHEDULES)
def test_schedule_validator_rejects_what_eventbridge_rejects(expression: str) -> None:
    assert not is_valid(expression)



@pytest.mark.parametrize(("expression", "seconds"), [
    ("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800),
    ("cron(0 2 * * ? *)", 86400), ("cron(0 * * * ? *)", 3600), ("cron(0/15 * * * ? *)", 60),
    ("cron(0 8-17 ? * MON-FRI *)", 3600),
])
def test_period_is_about_how_often_an_expression_fires(expression: str, seconds: int) -> None:
    assert period_seconds(expression) == seconds
