"""Account use cases: load → call → save; each change answers its log position."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from kabinet.clock import Clock, SystemClock
from kabinet.domain import NotFound
from kabinet.eventstore import KabinetApplication
from services.account.catalog import CatalogProjection
from services.account.domain import AccountError, AlreadyActivated, Subscriber, Who
from services.account.offers import Offer
from services.account.rules import BLACKLIST_OPTION


def hash_puk(puk: str) -> str:
    """scrypt with a random salt: the PUK itself is never stored, logged or published."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(puk.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def puk_matches(puk: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    computed = hashlib.scrypt(
        puk.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return secrets.compare_digest(computed.hex(), digest)


class AccountApplication(KabinetApplication):
    name = "account"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        catalog: CatalogProjection | None = None,
    ) -> None:
        super().__init__(env=env)
        self.clock = clock or SystemClock()
        self.catalog = catalog

    def _catalog(self) -> CatalogProjection:
        if self.catalog is None:
            raise RuntimeError("account needs its catalog projection")
        return self.catalog

    def activate(
        self,
        msisdn: str,
        owner_name: str,
        region: str,
        tariff_id: str,
        email: str | None,
        iccid: str | None = None,
        puk: str | None = None,
    ) -> int:
        """Activate a number on a tariff of its region; returns the event's position."""
        now = self.clock.now()
        catalog = self._catalog()
        tariffs = catalog.offers("tariff")
        if not any(region in t.regions for t in tariffs.values()):
            regions = sorted({r for t in tariffs.values() for r in t.regions})
            raise AccountError(
                f"unknown region '{region}'; one of: {', '.join(regions)}", field="region"
            )
        tariff = tariffs.get(tariff_id)
        if tariff is None:
            raise NotFound(f"no tariff '{tariff_id}' in the catalog", field="tariff_id")
        if not tariff.offered(region, now):
            raise AccountError(
                f"tariff '{tariff_id}' is not open for choice in region '{region}'",
                field="tariff_id",
            )
        defaults = [
            o.id
            for o in catalog.offers("option").values()
            if o.details.get("default_connected") and o.offered(region, now)
        ]
        subscriber = Subscriber.activate(
            msisdn,
            owner_name,
            region,
            tariff_id,
            email,
            iccid=iccid,
            puk_hash=hash_puk(puk) if puk else None,
            option_ids=defaults,
        )
        try:
            recordings = self.save(subscriber)
        except IntegrityError:
            raise AlreadyActivated(
                f"number {msisdn} is already activated", field="msisdn"
            ) from None
        return recordings[-1].notification.id

    def cached_subscriber(self, msisdn: str) -> Subscriber | None:
        """A read-only view from the trusted cache, if there (see `peek`)."""
        found: Subscriber | None = self.peek(Subscriber.id_for(msisdn))
        return found

    def subscriber(self, msisdn: str) -> Subscriber:
        try:
            found: Subscriber = self.repository.get(Subscriber.id_for(msisdn))
        except AggregateNotFoundError:
            raise NotFound(f"no subscriber with number {msisdn}", field="msisdn") from None
        return found

    def offer(self, kind: str, product_id: str, field: str) -> Offer:
        found = self._catalog().offer(kind, product_id)
        if found is None:
            raise NotFound(f"no {kind} '{product_id}' in the catalog", field=field)
        return found

    def options(self) -> dict[str, Offer]:
        return self._catalog().offers("option")

    def tariffs(self) -> dict[str, Offer]:
        return self._catalog().offers("tariff")

    def change(self, msisdn: str, command: Callable[[Subscriber], Any]) -> int | None:
        """Load, apply `command`, save; the position of the last new event, None if none.

        A concurrent write to the same subscriber makes the save fail: load again, retry.
        """

        def attempt() -> int | None:
            subscriber = self.subscriber(msisdn)
            command(subscriber)
            if not subscriber.pending_events:
                return None
            return self.save(subscriber)[-1].notification.id

        return self.retrying(attempt, busy="the account is busy, try again", field="msisdn")

    def update_profile(self, msisdn: str, changes: dict[str, Any], who: Who) -> int | None:
        return self.change(msisdn, lambda s: s.update_profile(changes, who, self.clock.now()))

    def change_tariff(self, msisdn: str, tariff_id: str, who: Who) -> int | None:
        target = self.offer("tariff", tariff_id, "tariff_id")
        options = self.options()
        return self.change(
            msisdn, lambda s: s.change_tariff(target, who, self.clock.now(), options)
        )

    def connect_option(self, msisdn: str, option_id: str, who: Who) -> int | None:
        option = self.offer("option", option_id, "option_id")
        options = self.options()
        return self.change(
            msisdn, lambda s: s.connect_option(option, who, self.clock.now(), options)
        )

    def disconnect_option(self, msisdn: str, option_id: str, who: Who) -> int | None:
        options = self.options()
        return self.change(
            msisdn, lambda s: s.disconnect_option(option_id, who, self.clock.now(), options)
        )

    def suspend(self, msisdn: str, reason: str, who: Who) -> int | None:
        return self.change(msisdn, lambda s: s.suspend(reason, who, self.clock.now()))

    def resume(self, msisdn: str, who: Who) -> int | None:
        return self.change(msisdn, lambda s: s.resume(who, self.clock.now()))

    def blacklist_add(self, msisdn: str, number: str, who: Who) -> int | None:
        service = self.offer("option", BLACKLIST_OPTION, "number")
        return self.change(
            msisdn, lambda s: s.add_to_blacklist(number, service, who, self.clock.now())
        )

    def blacklist_remove(self, msisdn: str, number: str, who: Who) -> int | None:
        service = self.offer("option", BLACKLIST_OPTION, "number")
        return self.change(
            msisdn, lambda s: s.remove_from_blacklist(number, service, who, self.clock.now())
        )

    def add_subscription(self, msisdn: str, option_id: str, who: Who) -> int | None:
        content = self.offer("option", option_id, "option_id")
        return self.change(msisdn, lambda s: s.add_subscription(content, who, self.clock.now()))

    def cancel_subscription(self, msisdn: str, subscription_id: str, who: Who) -> int | None:
        return self.change(
            msisdn, lambda s: s.cancel_subscription(subscription_id, who, self.clock.now())
        )

    def ask(self, msisdn: str, topic: str, text: str, who: Who) -> tuple[str, int | None]:
        question_id = uuid.uuid4().hex[:12]
        position = self.change(
            msisdn, lambda s: s.ask(question_id, topic, text, who, self.clock.now())
        )
        return question_id, position

    def answer(self, msisdn: str, question_id: str, text: str, who: Who) -> int | None:
        return self.change(msisdn, lambda s: s.answer(question_id, text, who, self.clock.now()))

    def history(self, msisdn: str) -> list[Any]:
        """Every stored event of the subscriber, oldest first."""
        self.subscriber(msisdn)
        return list(self.repository.event_store.get(Subscriber.id_for(msisdn)))
