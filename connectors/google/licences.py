"""Licences through the Enterprise License Manager (``LicenceTarget``), for a board with paid
Google Workspace for Education editions: a licence name in ``licences`` is a SKU id
(``1010310008``: Education Plus; the product per SKU from ``licence_products``, default
``101031``, Google Workspace for Education). Assignments are read per product at the start
of a run; assigning one that is there, or removing one that is gone, is done already."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.google.client import GoogleClient, op, pages_of
from connectors.google.config import EDUCATION_PRODUCT
from connectors.google.target import GoogleTarget
from provisioner.errors import AlreadyExistsError, NotFoundError
from provisioner.targets import RemoteAccount, TargetSnapshot


class GoogleLicensedTarget(GoogleTarget):
    """:class:`GoogleTarget` plus licences (a ``LicenceTarget``)."""

    def __init__(
        self,
        name: str,
        client: GoogleClient,
        *,
        skus: Sequence[str] = (),
        licence_products: Mapping[str, str] | None = None,
        licence_customer: str | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(name, client, **settings)
        self.licence_products = dict(licence_products or {})
        self.skus = tuple(skus)
        self.licence_customer = licence_customer or self.domain
        self._held: dict[str, set[str]] = {}  # primary e-mail -> SKU ids
        self._addresses: dict[str, str] = {}  # user id -> primary e-mail
        self._held_lock = threading.Lock()

    def product(self, sku: str) -> str:
        return self.licence_products.get(sku, EDUCATION_PRODUCT)

    def read(self) -> TargetSnapshot:
        held: dict[str, set[str]] = {}
        for product in sorted({self.product(sku) for sku in self.skus} or {EDUCATION_PRODUCT}):
            for page in self.client.pages(
                "licensing",
                pages_of(
                    "licenseAssignments",
                    "listForProduct",
                    productId=product,
                    customerId=self.licence_customer,
                    maxResults=1000,
                ),
            ):
                for item in page.get("items") or []:
                    held.setdefault(str(item["userId"]).lower(), set()).add(str(item["skuId"]))
        with self._held_lock:
            self._held = held
        return super().read()

    def assign_licences(self, remote_id: str, add: Sequence[str], remove: Sequence[str]) -> None:
        address = self._address(remote_id)
        for sku in add:
            with contextlib.suppress(AlreadyExistsError):  # assigned already (a resend)
                self.client.call(
                    "licensing",
                    op(
                        "licenseAssignments",
                        "insert",
                        productId=self.product(sku),
                        skuId=sku,
                        body={"userId": address},
                    ),
                )
        for sku in remove:
            with contextlib.suppress(NotFoundError):  # gone already
                self.client.call(
                    "licensing",
                    op(
                        "licenseAssignments",
                        "delete",
                        productId=self.product(sku),
                        skuId=sku,
                        userId=address,
                    ),
                )

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        """Found accounts carry their licences as they are now (a lost answer is verified)."""
        return [
            dataclasses.replace(account, licences=self._held_now(account.remote_id))
            for account in super().find_accounts(key)
        ]

    def _held_now(self, user_id: str) -> frozenset[str]:
        """The configured SKUs the user holds, asked of Google one by one."""
        address = self._address(user_id)
        skus = set()
        for sku in self.skus:
            try:
                self.client.call(
                    "licensing",
                    op(
                        "licenseAssignments",
                        "get",
                        productId=self.product(sku),
                        skuId=sku,
                        userId=address,
                    ),
                )
                skus.add(sku)
            except NotFoundError:
                continue
        with self._held_lock:
            self._held[address] = skus
        return frozenset(skus)

    def _address(self, user_id: str) -> str:
        with self._held_lock:
            known = self._addresses.get(user_id)
        if known is None:
            user = self.client.call("directory", lambda s: s.users().get(userKey=user_id))
            known = str(user["primaryEmail"]).lower()
            with self._held_lock:
                self._addresses[user_id] = known
        return known

    def _licences_of(self, user_id: str, address: str) -> frozenset[str]:
        with self._held_lock:
            self._addresses[user_id] = address.lower()
            return frozenset(self._held.get(address.lower(), ()))
