"""HTTP routes for locations."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.services import locations

out = Models("functions.schemas.out.people")
commands = Models("shared.commands.locations")
router = Router("locations")


@router.route("POST", "/locations", permission="locations:write", summary="Create a location",
              body=commands.LocationCreate,
              status=201, response=out.LocationOut)
def create_location(request: Request) -> Reply:
    location = locations.create(request.principal, request.body)
    return Reply(locations.view(location), 201, version=location.version)


@router.route("GET", "/locations", permission="locations:read", summary="List the locations you may see",
              query=commands.LocationList, response=page_of(out.LocationOut))
def list_locations(request: Request) -> dict:
    return list_page(request, {"route": "locations"},
                     lambda start: locations.list_visible(request.principal, request.query.limit, start),
                     locations.view)


@router.route("GET", "/locations/{location_id}", permission="locations:read", summary="Get a location",
              response=out.LocationOut)
def get_location(request: Request) -> Reply:
    location = locations.get(request.principal, request.params["location_id"])
    return Reply(locations.view(location), version=location.version)


@router.route("PATCH", "/locations/{location_id}", permission="locations:write", summary="Change a location",
              body=commands.LocationPatch, response=out.LocationOut)
def patch_location(request: Request) -> Reply:
    location = locations.update(request.principal, request.params["location_id"], request.body, request.if_match())
    return Reply(locations.view(location), version=location.version)
