"""The Enterprise License Manager subset: assign, list per product, remove. A SKU the
customer does not hold answers 400; assigning one a user has already is 409; a user is
known by primary e-mail or id."""

from __future__ import annotations

from typing import Any

from .directory import Directory, page_offset, page_size, page_token
from .model import GoogleError


class Licensing:
    def __init__(self, directory: Directory, skus: dict[str, tuple[str, ...]]) -> None:
        self.directory = directory
        self.skus = skus
        self.assigned: dict[str, dict[str, str]] = {}  # "product/sku/user id" -> assignment

    def _check(self, product: str, sku: str) -> None:
        if sku not in self.skus.get(product, ()):
            raise GoogleError(400, "invalid", "Invalid sku or product")

    def _entry(self, product: str, sku: str, user: dict[str, Any]) -> dict[str, str]:
        return {
            "kind": "licensing#licenseAssignment",
            "etags": '"licence"',
            "productId": product,
            "skuId": sku,
            "userId": user["primaryEmail"],
            "selfLink": f"/apps/licensing/v1/product/{product}/sku/{sku}/user/"
            + user["primaryEmail"],
            "productName": "Google Workspace for Education",
            "skuName": sku,
        }

    def insert(self, product: str, sku: str, body: Any) -> dict[str, str]:
        self._check(product, sku)
        if not isinstance(body, dict) or not isinstance(body.get("userId"), str):
            raise GoogleError(400, "required", "Required: userId")
        user = self.directory.user(body["userId"])
        key = f"{product}/{sku}/{user['id']}"
        if key in self.assigned:
            raise GoogleError(
                409, "duplicate", "User already has a license for the specified product and SKU"
            )
        self.assigned[key] = entry = self._entry(product, sku, user)
        return entry

    def get(self, product: str, sku: str, user_key: str) -> dict[str, str]:
        self._check(product, sku)
        user = self.directory.user(user_key)
        entry = self.assigned.get(f"{product}/{sku}/{user['id']}")
        if entry is None:
            raise GoogleError(
                404, "notFound", "User does not have a license for specified sku and product"
            )
        return entry

    def delete(self, product: str, sku: str, user_key: str) -> None:
        self._check(product, sku)
        user = self.directory.user(user_key)
        if self.assigned.pop(f"{product}/{sku}/{user['id']}", None) is None:
            raise GoogleError(
                404, "notFound", "User does not have a license for specified sku and product"
            )

    def list_for_product(self, product: str, query: dict[str, str]) -> dict[str, Any]:
        if query.get("customerId", "").lower() not in self.directory.domains and query.get(
            "customerId"
        ) not in (self.directory.customer_id,):
            raise GoogleError(400, "invalid", "Invalid customerId")
        found = []
        for key in sorted(self.assigned):
            p, _, uid = key.split("/")
            if p == product and uid in self.directory.users:
                entry = self.assigned[key]
                entry["userId"] = self.directory.users[uid]["primaryEmail"]
                found.append(entry)
        start = page_offset(query.get("pageToken"), "licences:" + product)
        size = page_size(query, 100, 1000)
        answer: dict[str, Any] = {
            "kind": "licensing#licenseAssignmentList",
            "items": found[start : start + size],
        }
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, "licences:" + product)
        return answer

    def forget_user(self, uid: str) -> None:
        for key in [k for k in self.assigned if k.endswith("/" + uid)]:
            del self.assigned[key]
