"""Who may do what: role permissions and location grants, checked on every route.

A location the caller was not granted is, to that caller, a location that does not exist: every
route answers 404 for it (and for anything in it), exactly as for another group's ids; that rule is
`shared.services.visibility`.
"""

from __future__ import annotations

from shared.auth import ROLES, Principal
from shared.errors import Forbidden

EVERYONE = frozenset(ROLES)
CLINICAL = frozenset({"admin", "coordinator", "provider"})
DESK = frozenset({"admin", "coordinator", "front_desk"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "locations:read": EVERYONE,
    "locations:write": frozenset({"admin"}),
    "patients:read": EVERYONE,
    "patients:write": DESK,
    "plans:read": EVERYONE,
    "plans:write": CLINICAL,
    "payments:read": frozenset({"admin", "coordinator", "front_desk", "readonly"}),
    "payments:write": DESK,
    "refunds:write": frozenset({"admin", "coordinator"}),
    "appointments:read": EVERYONE,
    "appointments:write": DESK | {"provider"},
    "followups:read": EVERYONE,
    "followups:write": DESK,
    "messages:read": EVERYONE,
    "kpis:read": frozenset({"admin", "coordinator", "readonly"}),
    "procedures:read": EVERYONE,
}


def require(principal: Principal, permission: str) -> None:
    if principal.role not in PERMISSIONS[permission]:
        raise Forbidden(f"role '{principal.role}' may not {permission.replace(':', ' ')}")

