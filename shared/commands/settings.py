"""Request model for messaging and payment settings (group defaults, location overrides).

Only the shape is checked here; every rule (kinds, placeholders, lengths, lawful quiet hours, terms) is
checked by shared/domain/messaging_settings.py, which names the field at fault.
"""

from __future__ import annotations

from typing import Any

from shared.commands.common import Patch


class SettingsPatch(Patch):
    """Sections to change; a section sent as null is removed (the layer below applies again)."""

    reminders: list[dict[str, Any]] | None = None
    templates: dict[str, dict[str, dict[str, str] | None]] | None = None
    quiet_hours: dict[str, str] | None = None
    working_days: list[str] | None = None
    sms_daily_cap: int | None = None
    sms_weekly_cap: int | None = None
    payment_terms: dict[str, Any] | None = None
    financing_offers: list[dict[str, Any]] | None = None
