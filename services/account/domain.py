"""The subscriber: who owns the number, where they live, what tariff they are on."""

from __future__ import annotations

from uuid import UUID

from kabinet.domain import KabinetAggregate, KabinetError, stable_id


class AccountError(KabinetError):
    pass


class AlreadyActivated(AccountError):
    status = 409


class Subscriber(KabinetAggregate):
    class Activated(KabinetAggregate.Created):
        msisdn: str
        owner_name: str
        region: str
        tariff_id: str
        email: str | None
        actor: str

    def __init__(
        self,
        msisdn: str,
        owner_name: str,
        region: str,
        tariff_id: str,
        email: str | None,
        actor: str,
    ) -> None:
        self.msisdn = msisdn
        self.owner_name = owner_name
        self.region = region
        self.tariff_id = tariff_id
        self.email = email
        self.status = "active"

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("subscriber", msisdn)

    @classmethod
    def activate(
        cls,
        msisdn: str,
        owner_name: str,
        region: str,
        tariff_id: str,
        email: str | None = None,
        actor: str = "staff",
    ) -> Subscriber:
        if not owner_name.strip():
            raise AccountError("owner's full name is required", field="owner_name")
        return cls._create(
            cls.Activated,
            id=cls.id_for(msisdn),
            msisdn=msisdn,
            owner_name=owner_name.strip(),
            region=region,
            tariff_id=tariff_id,
            email=email,
            actor=actor,
        )
