"""HTTP routes for locations."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.schemas.out import page_of
from functions.schemas.out.people import LocationOut
from shared.commands.locations import LocationCreate, LocationList, LocationPatch
from shared.services import locations

router = Router("locations")


@router.route("POST", "/locations", permission="locations:write", summary="Create a location", body=LocationCreate,
              status=201, response=LocationOut)
def create_location(request: Request) -> Reply:
    location = locations.create(request.principal, request.body)
    return Reply(locations.view(location), 201, version=location.version)


@router.route("GET", "/locations", permission="locations:read", summary="List the locations you may see",
              query=LocationList, response=page_of(LocationOut))
def list_locations(request: Request) -> dict:
    return list_page(request, {"route": "locations"},
                     lambda start: locations.list_visible(request.principal, request.query.limit, start),
                     locations.view)


@router.route("GET", "/locations/{location_id}", permission="locations:read", summary="Get a location",
              response=LocationOut)
def get_location(request: Request) -> Reply:
    location = locations.get(request.principal, request.params["location_id"])
    return Reply(locations.view(location), version=location.version)


@router.route("PATCH", "/locations/{location_id}", permission="locations:write", summary="Change a location",
              body=LocationPatch, response=LocationOut)
def patch_location(request: Request) -> Reply:
    location = locations.update(request.principal, request.params["location_id"], request.body, request.if_match())
    return Reply(locations.view(location), version=location.version)
