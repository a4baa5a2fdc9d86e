"""HTTP routes for messaging and payment settings: the group's defaults and each location's overrides."""

from __future__ import annotations

from functions.api import Reply, Request, Router
from functions.models import Models
from shared import clock
from shared.services import settings

out = Models("functions.schemas.out.schedule")
commands = Models("shared.commands.settings")
router = Router("settings")


@router.route("GET", "/settings", permission="locations:read", response=out.SettingsOut,
              summary="The group's default messaging and payment settings (with what they add up to)")
def get_group_settings(request: Request) -> Reply:
    body = settings.get_group(request.principal)
    return Reply(body, version=body["version"])


@router.route("PATCH", "/settings", permission="locations:write", body=commands.SettingsPatch, response=out.SettingsOut,
              summary="Change the group's default settings; re-plans the reminders not yet sent")
def patch_group_settings(request: Request) -> Reply:
    body = settings.patch_group(request.principal, request.changes(), request.if_match(), clock.now())
    return Reply(body, version=body["version"])


@router.route("GET", "/locations/{location_id}/settings", permission="locations:read", response=out.SettingsOut,
              summary="A location's own settings and its effective settings (group defaults overridden)")
def get_location_settings(request: Request) -> Reply:
    body = settings.get_location(request.principal, request.params["location_id"])
    return Reply(body, version=body["version"])


@router.route("PATCH", "/locations/{location_id}/settings", permission="locations:write", body=commands.SettingsPatch,
              response=out.SettingsOut,
              summary="Change a location's settings; re-plans its reminders not yet sent")
def patch_location_settings(request: Request) -> Reply:
    body = settings.patch_location(request.principal, request.params["location_id"], request.changes(),
                                   request.if_match(), clock.now())
    return Reply(body, version=body["version"])
