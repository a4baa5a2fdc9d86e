"""HTTP routes of signing links: the coordinator sends one; the patient's page reads and signs through it.

`/sign/{token}` is public: the token in the path is the only credential, and it is checked (MAC, then the
stored link's version, expiry and use) before anything is read. Each access is audited under the link.
"""

from __future__ import annotations

from functions.api import Reply, Request, Router
from functions.models import Models
from shared.services import signing

out = Models("functions.schemas.out.signing")
commands = Models("shared.commands.signing")
router = Router("signing")
LINK_ERRORS = (404, 409, 410, 422)


@router.route("POST", "/plans/{plan_id}/signing-link", permission="plans:write", body=commands.SigningLinkIn,
              status=201,
              audit="plan.signing_link", response=out.SigningLinkOut,
              summary="Send the patient a link to sign the presented version (email or SMS, with consent)")
def create_signing_link(request: Request) -> Reply:
    link = signing.create_link(request.principal, request.params["plan_id"], request.body.channel)
    request.audit(link["plan_id"], link["message_id"])
    return Reply(link, 201)


@router.route("GET", "/sign/{token}", permission=None, response=out.SignPageOut, errors=LINK_ERRORS,
              summary="The patient's signing page: the quote of the link's version in plain language (public)")
def get_sign_page(request: Request) -> dict:
    return signing.page(request.params["token"], request.request_id)


@router.route("POST", "/sign/{token}", permission=None, body=commands.SignIn, response=out.SignedOut,
              errors=LINK_ERRORS,
              summary="The patient signs the version the page showed (public; the link works once)")
def post_signature(request: Request) -> dict:
    body = request.body.model_dump(mode="json")
    return signing.sign(request.params["token"], body, request.source_ip, request.headers.get("user-agent"),
                        request.request_id)
