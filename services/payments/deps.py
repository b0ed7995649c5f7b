"""The parts payments' routes reach, as `Annotated` dependencies (see `kabinet.deps`).

`main.build` names them once (`ServiceParts.app` and `provides`); a test hands its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from kabinet.deps import provided
from services.payments.application import PaymentsApplication
from services.payments.autopays import Autopays
from services.payments.card_topups import CardTopUps
from services.payments.withdrawals import Withdrawals


@dataclass(frozen=True)
class TopUpChannels:
    """`direct`: the dev profile may post a top-up without a card (already captured)."""

    direct: bool


Payments = Annotated[PaymentsApplication, Depends(provided(PaymentsApplication))]
Cards = Annotated[CardTopUps, Depends(provided(CardTopUps))]
Payouts = Annotated[Withdrawals, Depends(provided(Withdrawals))]
AutopayRuns = Annotated[Autopays, Depends(provided(Autopays))]
Channels = Annotated[TopUpChannels, Depends(provided(TopUpChannels))]
