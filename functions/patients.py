"""HTTP routes for patients and their insurance coverage. Every one leaves an audit record."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.services import patients

out = Models("functions.schemas.out.people")
commands = Models("shared.commands.patients")
router = Router("patients")


@router.route("POST", "/patients", permission="patients:write", summary="Register a patient",
              body=commands.PatientCreate,
              status=201, audit="patient.create", response=out.PatientOut)
def create_patient(request: Request) -> Reply:
    patient = patients.create(request.principal, request.body)
    request.audit(patient.id)
    return Reply(patients.view(patient), 201, version=patient.version)


@router.route("GET", "/patients", permission="patients:read", summary="List or search a location's patients",
              query=commands.PatientList, audit="patient.list", response=page_of(out.PatientOut))
def list_patients(request: Request) -> dict:
    q = request.query
    return list_page(request, {"route": "patients", "location_id": q.location_id, "q": q.q},
                     lambda start: patients.list_for_location(request.principal, q.location_id, q.q, q.limit, start),
                     patients.view)


@router.route("GET", "/patients/{patient_id}", permission="patients:read", summary="Get a patient",
              audit="patient.read", response=out.PatientOut)
def get_patient(request: Request) -> Reply:
    patient = patients.get(request.principal, request.params["patient_id"])
    return Reply(patients.view(patient), version=patient.version)


@router.route("PATCH", "/patients/{patient_id}", permission="patients:write", summary="Change a patient",
              body=commands.PatientPatch, audit="patient.update", response=out.PatientOut)
def patch_patient(request: Request) -> Reply:
    patient = patients.update(request.principal, request.params["patient_id"], request.body, request.if_match())
    return Reply(patients.view(patient), version=patient.version)
