"""Events published by the corporate service (stream CORPORATE), keyed by client id."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from contracts.envelope import Envelope
from contracts.fields import Actor, Msisdn, Region


class CorporateEvent(Envelope):
    PRODUCER: ClassVar[str] = "corporate"
    producer: Literal["corporate"] = "corporate"
    msisdn: None = None
    client_id: str = Field(min_length=1, description="The corporate client: the partition key.")

    def key_fallback(self) -> str:
        return self.client_id


class CorporateClientRegistered(CorporateEvent):
    """A company registered (work phone + SMS, then an application) or signed in by SIM PUK."""

    type: Literal["CorporateClientRegistered"] = "CorporateClientRegistered"
    company_name: str
    inn: str = Field(pattern=r"^\d{10}(\d{2})?$")
    kpp: str | None = Field(default=None, pattern=r"^\d{9}$")
    region: Region
    admin_subject_id: str
    contact_msisdn: Msisdn
    how: Literal["application", "sim_puk"]
    application_id: str | None = None


class ApplicationApproved(CorporateEvent):
    """Staff approved a client's application; the contract is in force."""

    type: Literal["ApplicationApproved"] = "ApplicationApproved"
    application_id: str
    approved_by: str
    contract_number: str
    billing: Literal["prepaid", "postpaid"] = "prepaid"
    credit_limit_kopecks: NonNegativeInt = 0


class MemberAdded(CorporateEvent):
    """A number joined the corporate client, optionally in a group."""

    type: Literal["MemberAdded"] = "MemberAdded"
    member_msisdn: Msisdn
    group_id: str | None = None
    tariff_id: str
    paid_by: Literal["client", "member"] = "client"
    monthly_limit_kopecks: PositiveInt | None = None
    actor: Actor
    actor_id: str | None = None


class GroupCreated(CorporateEvent):
    """The client created a group of numbers, optionally with a shared balance."""

    type: Literal["GroupCreated"] = "GroupCreated"
    group_id: str
    name: str
    shared_balance: bool = True
    monthly_limit_kopecks: PositiveInt | None = None
    actor: Actor
    actor_id: str | None = None


class InvoiceIssued(CorporateEvent):
    """An invoice, VAT invoice (счёт-фактура) or act for a billing period."""

    type: Literal["InvoiceIssued"] = "InvoiceIssued"
    invoice_id: str
    number: str
    document: Literal["invoice", "vat_invoice", "act"]
    period_from: date
    period_to: date
    amount_kopecks: NonNegativeInt
    vat_kopecks: NonNegativeInt
    due_on: date | None = None
