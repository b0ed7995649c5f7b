"""Catalog's domain events → its public events (used by the outbox relay)."""

from __future__ import annotations

from typing import Any

from contracts import catalog as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.catalog.domain import Option, Product, Tariff


def to_public(event: Any, position: int) -> Envelope | None:
    base = envelope_fields(event, position, "catalog")
    if isinstance(event, Tariff.Published):
        d = event.details
        return public.TariffPublished(
            **base,
            tariff_id=d["tariff_id"],
            name=d["name"],
            description=d["description"],
            recurring_fee_kopecks=event.prices["recurring_fee"],
            fee_period=d["fee_period"],
            change_fee_kopecks=event.prices["change_fee"],
            included_minutes=d["included"]["minutes"],
            included_sms=d["included"]["sms"],
            included_mms=d["included"]["mms"],
            included_data_mb=d["included"]["data_mb"],
            minute_kopecks=event.prices["minute"],
            sms_kopecks=event.prices["sms"],
            mms_kopecks=event.prices["mms"],
            data_mb_kopecks=event.prices["data_mb"],
            roaming=d["roaming"],
            international_zone=d["international_zone"],
            regions=event.regions,
            corporate_only=d["corporate_only"],
            valid_from=event.valid_from,
            available_until=d.get("available_until"),
        )
    if isinstance(event, Option.Published):
        d = event.details
        return public.OptionPublished(
            **base,
            option_id=d["option_id"],
            name=d["name"],
            description=d["description"],
            kind=d["kind"],
            provider=d.get("provider"),
            connect_fee_kopecks=event.prices["connect_fee"],
            recurring_fee_kopecks=event.prices["recurring_fee"],
            fee_period=d["fee_period"],
            add_fee_kopecks=event.prices["add_fee"],
            included_minutes=d["included"]["minutes"],
            included_sms=d["included"]["sms"],
            included_data_mb=d["included"]["data_mb"],
            regions=event.regions,
            tariff_ids=d["tariff_ids"],
            requires_option_ids=d["requires_option_ids"],
            excludes_option_ids=d["excludes_option_ids"],
            default_connected=d["default_connected"],
            valid_from=event.valid_from,
        )
    if isinstance(event, Product.PriceChanged):
        return public.PriceChanged(
            **base,
            product_kind=event.product_kind,  # type: ignore[arg-type]
            product_id=event.product_id,
            component=event.component,  # type: ignore[arg-type]
            region=event.region,
            old_kopecks=event.old_kopecks,
            new_kopecks=event.new_kopecks,
            valid_from=event.valid_from,
        )
    if isinstance(event, Tariff.Retired):
        return public.TariffRetired(
            **base,
            tariff_id=event.tariff_id,
            effective_at=event.effective_at,
            replacement_tariff_id=event.replacement_tariff_id,
        )
    return None
