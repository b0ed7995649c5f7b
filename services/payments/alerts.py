"""The low-balance notification: once when a charge takes the balance below the level the
subscriber set, again only after the balance was back at or above it."""

from __future__ import annotations

from datetime import datetime

from kabinet.domain import KabinetAggregate
from services.payments.rules import TOPUP_MAX_KOPECKS, PaymentsError


class LowBalanceAlerts(KabinetAggregate):
    msisdn: str
    kopecks: int
    alert_level: int | None
    alert_armed: bool

    class AlertLevelSet(KabinetAggregate.Event):
        level_kopecks: int | None

        def apply(self, ledger: LowBalanceAlerts) -> None:
            ledger.alert_level = self.level_kopecks
            ledger.alert_armed = self.level_kopecks is not None

    class LowBalanceReached(KabinetAggregate.Event):
        msisdn: str
        level_kopecks: int
        balance_kopecks: int
        charge_id: str

        def apply(self, ledger: LowBalanceAlerts) -> None:
            ledger.alert_armed = False

    def init_alerts(self) -> None:
        self.alert_level, self.alert_armed = None, False

    def rearm_alert(self) -> None:
        if self.alert_level is not None and self.kopecks >= self.alert_level:
            self.alert_armed = True

    def set_alert_level(self, level_kopecks: int | None, now: datetime) -> None:
        if level_kopecks is not None and not 0 < level_kopecks <= TOPUP_MAX_KOPECKS:
            raise PaymentsError(
                "the level is between 0.01 and 15000.00 RUB, or null to switch it off",
                field="level",
                rule="alert_level",
            )
        self.trigger_event(self.AlertLevelSet, level_kopecks=level_kopecks, timestamp=now)

    def maybe_alert(self, charge_id: str, at: datetime | None) -> None:
        level = self.alert_level
        if level is not None and self.alert_armed and self.kopecks < level:
            self.trigger_event(
                self.LowBalanceReached,
                msisdn=self.msisdn,
                level_kopecks=level,
                balance_kopecks=self.kopecks,
                charge_id=charge_id,
                timestamp=at,
            )
