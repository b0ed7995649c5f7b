"""Events published by the account service (stream ACCOUNT)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt

from contracts.envelope import Envelope
from contracts.fields import Actor, Channel, FeePeriod, Msisdn, PhoneNumber, Region

SuspensionReason = Literal["lost", "debt", "staff"]


class AccountEvent(Envelope):
    PRODUCER: ClassVar[str] = "account"
    producer: Literal["account"] = "account"
    msisdn: Msisdn


class SubscriberActivated(AccountEvent):
    """Staff activated a SIM for a subscriber: the number now exists for every service."""

    type: Literal["SubscriberActivated"] = "SubscriberActivated"
    owner_name: str
    region: str
    tariff_id: str
    email: str | None = None
    iccid: str | None = Field(default=None, description="The SIM card's serial (not its PUK).")
    option_ids: list[str] = Field(default=[], description="Options connected at activation.")
    activated_by: str = "staff"
    corporate_client_id: str | None = None


class AccountChange(AccountEvent):
    """A change to the subscriber's account, with who made it and through which channel."""

    actor: Actor
    actor_id: str | None = Field(default=None, description="Staff or corporate admin id.")
    channel: Channel = "web"


class ProfileUpdated(AccountChange):
    """Profile fields changed; only the changed fields are set."""

    type: Literal["ProfileUpdated"] = "ProfileUpdated"
    changed: list[Literal["owner_name", "email", "language"]] = Field(min_length=1)
    owner_name: str | None = None
    email: str | None = None
    language: Literal["ru", "en"] | None = None


class TariffChanged(AccountChange):
    """The subscriber moved to another tariff from `effective_from`."""

    type: Literal["TariffChanged"] = "TariffChanged"
    from_tariff_id: str
    to_tariff_id: str
    fee_kopecks: NonNegativeInt = Field(description="One-time fee for the change.")
    effective_from: AwareDatetime


class OptionToggled(AccountChange):
    """An option or service (including mobile data and MMS) was connected or disconnected."""

    type: Literal["OptionToggled"] = "OptionToggled"
    option_id: str
    enabled: bool
    fee_kopecks: NonNegativeInt = Field(description="One-time fee for this toggle.")
    recurring_fee_kopecks: NonNegativeInt = 0
    fee_period: FeePeriod | None = None


class ServiceSuspended(AccountChange):
    """Service on the number is blocked (lost phone, debt or by staff)."""

    type: Literal["ServiceSuspended"] = "ServiceSuspended"
    reason: SuspensionReason
    until: AwareDatetime | None = None


class ServiceResumed(AccountChange):
    """Service on the number is unblocked."""

    type: Literal["ServiceResumed"] = "ServiceResumed"
    reason: SuspensionReason = Field(description="Why service had been suspended.")
    suspended_at: AwareDatetime


class BlacklistChange(AccountChange):
    """A blacklist change with its fee basis: the daily fee depends on the region."""

    number: PhoneNumber
    region: Region
    daily_fee_kopecks: NonNegativeInt
    numbers_listed: NonNegativeInt = Field(description="Numbers on the list after the change.")


class BlacklistNumberAdded(BlacklistChange):
    """A number was blacklisted; the first one connects the (free) service."""

    type: Literal["BlacklistNumberAdded"] = "BlacklistNumberAdded"
    add_fee_kopecks: NonNegativeInt


class BlacklistNumberRemoved(BlacklistChange):
    """A number left the blacklist; with none left the daily fee stops."""

    type: Literal["BlacklistNumberRemoved"] = "BlacklistNumberRemoved"


ContentPeriod = Literal["day", "week", "month", "message"]


class SubscriptionAdded(AccountChange):
    """A content subscription (paid or free SMS mailing) was added by staff or a partner."""

    type: Literal["SubscriptionAdded"] = "SubscriptionAdded"
    subscription_id: str
    provider: str
    title: str
    fee_kopecks: NonNegativeInt
    fee_period: ContentPeriod | None = None


class SubscriptionCancelled(AccountChange):
    """A content subscription (paid or free SMS mailing) was cancelled."""

    type: Literal["SubscriptionCancelled"] = "SubscriptionCancelled"
    subscription_id: str
    provider: str
    title: str
    fee_kopecks: NonNegativeInt
    fee_period: ContentPeriod | None = None


class SupportQuestionAsked(AccountChange):
    """The subscriber asked support a question (its text stays in account)."""

    type: Literal["SupportQuestionAsked"] = "SupportQuestionAsked"
    question_id: str
    topic: str


class SupportQuestionAnswered(AccountChange):
    """Staff answered a support question."""

    type: Literal["SupportQuestionAnswered"] = "SupportQuestionAnswered"
    question_id: str
    asked_at: AwareDatetime
