"""Composition root of the auth service."""

from __future__ import annotations

from kabinet.clock import Clock, SystemClock
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.auth import api, api_manage, consumers, publishing
from services.auth.application import Policy
from services.auth.deps import Phones, UssdGateway
from services.auth.devphones import DevPhones
from services.auth.keys import AuthKeys
from services.auth.manage import AuthApplication
from services.auth.notices import LoginNotices, Mailer
from services.auth.projections import Directory
from services.auth.quota import HourlyQuota
from services.auth.settings import AuthSettings
from services.auth.sms import DevOutbox, HttpSmsProvider, SmsPort, Unconfigured
from services.auth.ussd import DevUssd


def build(
    settings: Settings, clock: Clock | None = None, auth: AuthSettings | None = None
) -> ServiceParts:
    """`auth`: the service's own settings, read from `KABINET_AUTH_*` unless given."""
    clock = clock or SystemClock()
    auth = auth or AuthSettings()
    app = AuthApplication(
        env=persistence_env(settings, "auth", serving=True), clock=clock, policy=Policy.of(auth)
    )
    store = ProjectionStore(app.factory.datastore, schema_name("auth", settings.namespace))  # type: ignore[attr-defined]
    directory = Directory(store)
    keys = AuthKeys(store, auth.otp_pepper)
    quota = HourlyQuota(store)
    app.attach(directory, keys, quota)
    phones = DevPhones(store, clock)
    ussd = DevUssd(phones)
    sms: SmsPort = DevOutbox(phones) if settings.profile == "dev" else Unconfigured()
    background = []
    if auth.sms_provider_url:
        provider = HttpSmsProvider(
            auth.sms_provider_url,
            auth.sms_provider_key,
            quota,
            clock,
            hourly_cap=auth.sms_hourly_cap,
            retries=auth.sms_retries,
        )
        sms, background = provider, [provider.run]
    mailer = None
    if auth.smtp_host:
        mailer = Mailer(
            auth.smtp_host,
            auth.smtp_port,
            auth.smtp_sender,
            auth.smtp_user,
            auth.smtp_password,
            auth.smtp_starttls,
        )
    notices = LoginNotices(sms, mailer, store.schema)
    routers = [api.router, api_manage.router, api_manage.ussd_callback_router]
    if settings.profile == "dev":
        routers.append(api_manage.dev_router)
    gateway = UssdGateway(auth.ussd_callback_key, open_without_key=settings.profile == "dev")
    return ServiceParts(
        name="auth",
        app=app,
        mapper=publishing.to_public,
        routers=routers,
        provides=[Phones(sms, ussd), gateway, phones],
        subscriptions=consumers.subscriptions(directory, notices),
        on_start=[directory.setup, keys.setup, quota.setup, phones.setup],
        background=background,
    )
