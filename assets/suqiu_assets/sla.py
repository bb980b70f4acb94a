"""The shipped SLA policies (sla_policies.yaml), read as plain data for the domain.

``suqiu_queue.domain.sla.load_policies`` turns the result into ``SlaPolicy`` objects and checks
every field; here the YAML is parsed and checked against the categories that name the policies.
"""

from __future__ import annotations

from typing import Any

from . import categories, load_yaml

POLICIES_FILE = "sla_policies.yaml"
SUPPORTED_VERSION = 1


class SlaDataError(ValueError):
    """The shipped SLA policy file is malformed (a packaging mistake, caught by the tests)."""


def sla_policies(raw: Any = None) -> dict[str, Any]:
    """The policy file as a dict ``{"version", "policies": [...]}``, checked against categories.yaml.

    ``raw`` (an already-parsed document) lets a test or an admin tool check a candidate file.
    """
    if raw is None:
        raw = load_yaml(POLICIES_FILE)
    if not isinstance(raw, dict) or raw.get("version") != SUPPORTED_VERSION:
        raise SlaDataError(f"{POLICIES_FILE}: expected a mapping with version {SUPPORTED_VERSION}")
    items = raw.get("policies")
    if not isinstance(items, list) or not items:
        raise SlaDataError(f"{POLICIES_FILE}: 'policies' must be a non-empty list")
    codes = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise SlaDataError(f"{POLICIES_FILE}: every policy needs a 'code': {item!r}")
        if not isinstance(item.get("steps"), dict) or not item["steps"]:
            raise SlaDataError(f"{POLICIES_FILE}: policy {item['code']} needs 'steps'")
        codes.append(item["code"])
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise SlaDataError(f"{POLICIES_FILE}: duplicate codes {duplicates}")
    # A category naming a policy that does not exist would leave its cases without any deadline.
    missing = sorted({c["sla_policy"] for c in categories() if c.get("sla_policy")} - set(codes))
    if missing:
        raise SlaDataError(f"{POLICIES_FILE}: categories.yaml names policies that do not exist: {missing}")
    return raw
