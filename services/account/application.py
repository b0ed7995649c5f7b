"""Account use cases: load → call → save."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from kabinet.domain import NotFound
from kabinet.eventstore import KabinetApplication
from services.account.domain import AlreadyActivated, Subscriber


class AccountApplication(KabinetApplication):
    name = "account"

    def activate(
        self, msisdn: str, owner_name: str, region: str, tariff_id: str, email: str | None
    ) -> int:
        """Activate a number; returns the position of the SubscriberActivated event."""
        subscriber = Subscriber.activate(msisdn, owner_name, region, tariff_id, email)
        try:
            recordings = self.save(subscriber)
        except IntegrityError:
            raise AlreadyActivated(
                f"number {msisdn} is already activated", field="msisdn"
            ) from None
        return recordings[-1].notification.id

    def subscriber(self, msisdn: str) -> Subscriber:
        try:
            found: Subscriber = self.repository.get(Subscriber.id_for(msisdn))
        except AggregateNotFoundError:
            raise NotFound(f"no subscriber with number {msisdn}", field="msisdn") from None
        return found
