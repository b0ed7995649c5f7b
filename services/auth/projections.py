"""Who may sign in, built from other services' events (services never import each other).

- subscribers: from account's stream — activation, suspension and resumption, e-mail
  changes (the address login notices go to);
- corporate admins: from corporate's stream — the admin of each registered client.

A number whose service staff suspended may not sign in; one suspended as lost may sign
in with a password (to resume service) but gets no codes (the phone is not theirs now).
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from contracts import account, corporate
from kabinet.effects import ProjectionHandler, ProjectionStore

DIRECTORY_DDL = (
    """
    CREATE TABLE IF NOT EXISTS {schema}.subscriber (
        msisdn text PRIMARY KEY,
        status text NOT NULL,
        suspension text,
        email text,
        activated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.corporate_admin (
        subject_id text PRIMARY KEY,
        client_id text NOT NULL,
        msisdn text NOT NULL,
        registered_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS corporate_admin_msisdn ON {schema}.corporate_admin (msisdn)",
)

CODE_PURPOSES = ("registration", "login", "password_reset")


class Directory:
    name = "directory"

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.table = f'"{store.schema}".subscriber'
        self.admins = f'"{store.schema}".corporate_admin'

    def setup(self) -> None:
        self.store.setup(*DIRECTORY_DDL)

    @property
    def account_handlers(self) -> dict[str, ProjectionHandler]:
        return {
            "SubscriberActivated": self.on_activated,
            "ServiceSuspended": self.on_suspended,
            "ServiceResumed": self.on_resumed,
            "ProfileUpdated": self.on_profile_updated,
        }

    @property
    def corporate_handlers(self) -> dict[str, ProjectionHandler]:
        return {"CorporateClientRegistered": self.on_client_registered}

    def on_activated(self, cur: Cursor[DictRow], event: account.SubscriberActivated) -> None:
        cur.execute(
            f"INSERT INTO {self.table} VALUES (%s, 'active', NULL, %s, %s) "
            "ON CONFLICT (msisdn) DO NOTHING",
            (event.msisdn, event.email, event.occurred_at),
        )

    def on_suspended(self, cur: Cursor[DictRow], event: account.ServiceSuspended) -> None:
        cur.execute(
            f"UPDATE {self.table} SET status = 'suspended', suspension = %s WHERE msisdn = %s",
            (event.reason, event.msisdn),
        )

    def on_resumed(self, cur: Cursor[DictRow], event: account.ServiceResumed) -> None:
        cur.execute(
            f"UPDATE {self.table} SET status = 'active', suspension = NULL WHERE msisdn = %s",
            (event.msisdn,),
        )

    def on_profile_updated(self, cur: Cursor[DictRow], event: account.ProfileUpdated) -> None:
        if "email" in event.changed:
            cur.execute(
                f"UPDATE {self.table} SET email = %s WHERE msisdn = %s", (event.email, event.msisdn)
            )

    def on_client_registered(
        self, cur: Cursor[DictRow], event: corporate.CorporateClientRegistered
    ) -> None:
        cur.execute(
            f"INSERT INTO {self.admins} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.admin_subject_id, event.client_id, event.contact_msisdn, event.occurred_at),
        )

    def subscriber(self, msisdn: str) -> dict[str, Any] | None:
        rows = self.store.query(f"SELECT * FROM {self.table} WHERE msisdn = %s", (msisdn,))
        return dict(rows[0]) if rows else None

    def admin_of(self, msisdn: str) -> dict[str, Any] | None:
        """The corporate admin whose contact number this is (the first registered)."""
        rows = self.store.query(
            f"SELECT * FROM {self.admins} WHERE msisdn = %s ORDER BY registered_at LIMIT 1",
            (msisdn,),
        )
        return dict(rows[0]) if rows else None

    def may_sign_in(self, msisdn: str) -> bool:
        found = self.subscriber(msisdn)
        return found is not None and found["suspension"] != "staff"

    def may_receive_code(self, msisdn: str, purpose: str) -> bool:
        if purpose == "corporate_login":
            return self.admin_of(msisdn) is not None
        found = self.subscriber(msisdn)
        return (
            purpose in CODE_PURPOSES
            and found is not None
            and found["suspension"] not in ("staff", "lost")
        )

    def email_of(self, msisdn: str) -> str | None:
        found = self.subscriber(msisdn)
        return found["email"] if found else None
