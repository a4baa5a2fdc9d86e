"""What a DynamoDB exclusive start key of ours looks like, and whose group it belongs to.

Plain Python (no pynamodb): the cursor module checks a signed cursor's key with it on every list request,
and it must not pay pynamodb's import on a cold start for that. Every partition key the store writes
begins with the group's id and `#` (shared/store/*.py `pk` builders); that prefix is the group's.
"""

from __future__ import annotations

import re

KEY_NAME = re.compile(r"pk|sk|gsi[0-9]{1,2}(pk|sk)")
MAX_KEY_ATTRIBUTES = 4  # pk, sk and one index's pair
MAX_VALUE_LENGTH = 1024


def in_group(partition_key: str, org: str) -> bool:
    """Whether a partition key of ours is one of group `org`'s."""
    return partition_key.startswith(f"{org}#")


def is_group_start_key(key: object, org: str) -> bool:
    """A start key as the store's queries return it (a few string key attributes), its partition keys
    in group `org`."""
    return isinstance(key, dict) and 0 < len(key) <= MAX_KEY_ATTRIBUTES and all(
        isinstance(name, str) and KEY_NAME.fullmatch(name) and isinstance(value, dict) and list(value) == ["S"]
        and isinstance(value["S"], str) and 0 < len(value["S"]) <= MAX_VALUE_LENGTH
        and (not name.endswith("pk") or in_group(value["S"], org))
        for name, value in key.items())
