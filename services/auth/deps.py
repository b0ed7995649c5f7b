"""Auth's route dependencies (`kabinet.deps` conventions): the application, the ports a
sign-in reaches phones through, the client the gateway names, the bearer token.

The gateway names the client in headers: `Kabinet-Channel` (web | mobile),
`Kabinet-Client-Ip`, `Kabinet-Device`, and — only for a request that came through a
trusted network proxy — `Kabinet-Network-Msisdn`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header

from kabinet import consistency
from kabinet.deps import provided
from services.auth.devphones import DevPhones
from services.auth.domain import Client, NotAllowed, SignInFailed
from services.auth.manage import AuthApplication
from services.auth.sms import SmsPort
from services.auth.ussd import UssdPort

NETWORK_HEADER = "Kabinet-Network-Msisdn"
Channel = Literal["web", "mobile"]


@dataclass(frozen=True)
class Phones:
    """The ports codes and pushes reach phones through (an SMS provider, a USSD gateway)."""

    sms: SmsPort
    ussd: UssdPort


@dataclass(frozen=True)
class UssdGateway:
    """Who may report USSD answers: the holder of `key`; with no key, anyone in dev only."""

    key: str | None
    open_without_key: bool


async def client_of(
    channel: Annotated[Channel, Header(alias="Kabinet-Channel")] = "mobile",
    ip: Annotated[str | None, Header(alias="Kabinet-Client-Ip", max_length=64)] = None,
    device: Annotated[str | None, Header(alias="Kabinet-Device")] = None,
) -> Client:
    return Client(channel, ip, device[:200] if device else None)


async def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SignInFailed("sign-in required", field="Authorization")
    return token


def network_number(msisdn: str | None) -> str:
    """The number a trusted network proxy vouched for; refused when there is none (called
    in the route, after its body is validated)."""
    if not msisdn:
        raise NotAllowed("network login works only from the operator's network", field="network")
    return msisdn


Auth = Annotated[AuthApplication, Depends(provided(AuthApplication))]
PhonePorts = Annotated[Phones, Depends(provided(Phones))]
Gateway = Annotated[UssdGateway, Depends(provided(UssdGateway))]
DevOutboxes = Annotated[DevPhones, Depends(provided(DevPhones))]
ClientOf = Annotated[Client, Depends(client_of)]
Bearer = Annotated[str, Depends(bearer)]
NetworkMsisdn = Annotated[str | None, Header(alias=NETWORK_HEADER)]
After = Annotated[str | None, Header(alias=consistency.HEADER)]
"""The consistency token as the header alone (auth's routes never took the query form)."""
