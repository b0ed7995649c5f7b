"""Catalog's domain events → its public events: the table the outbox relay maps by.

Fields named alike on both sides are copied (`regions`, `valid_from`, all of
`PriceChanged` and `Retired`); a publication lays out its details, included package
and prices (`recurring_fee` → `recurring_fee_kopecks`). Catalog has no internal events.
"""

from __future__ import annotations

from typing import Any

from contracts import catalog as public
from kabinet.publishing import Publishing, Rule
from services.catalog.domain import OPTION_COMPONENTS, TARIFF_COMPONENTS, Option, Tariff

TARIFF_DETAILS = (
    "tariff_id",
    "name",
    "description",
    "fee_period",
    "roaming",
    "international_zone",
    "corporate_only",
)
OPTION_DETAILS = (
    "option_id",
    "name",
    "description",
    "kind",
    "fee_period",
    "tariff_ids",
    "requires_option_ids",
    "excludes_option_ids",
    "default_connected",
)


def _laid_out(
    event: Tariff.Published | Option.Published,
    details: tuple[str, ...],
    included: tuple[str, ...],
    components: tuple[str, ...],
) -> dict[str, Any]:
    """The details named, the included package as `included_*`, prices as `*_kopecks`."""
    d = event.details
    return {
        **{name: d[name] for name in details},
        **{f"included_{unit}": d["included"][unit] for unit in included},
        **{f"{component}_kopecks": event.prices[component] for component in components},
    }


def _tariff(event: Tariff.Published) -> dict[str, Any]:
    return {
        **_laid_out(event, TARIFF_DETAILS, ("minutes", "sms", "mms", "data_mb"), TARIFF_COMPONENTS),
        "available_until": event.details.get("available_until"),
    }


def _option(event: Option.Published) -> dict[str, Any]:
    return {
        **_laid_out(event, OPTION_DETAILS, ("minutes", "sms", "data_mb"), OPTION_COMPONENTS),
        "provider": event.details.get("provider"),
    }


to_public = Publishing(
    "catalog",
    {
        Tariff.Published: Rule(public.TariffPublished, expand=_tariff),
        Tariff.PriceChanged: Rule(public.PriceChanged),
        Tariff.Retired: Rule(public.TariffRetired),
        Option.Published: Rule(public.OptionPublished, expand=_option),
        Option.PriceChanged: Rule(public.PriceChanged),
    },
    internal=(),
)
"""The relay's mapper of catalog (`kabinet.relay.EventMapper`)."""
