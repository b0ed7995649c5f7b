"""Composition root of the auth service."""

from __future__ import annotations

from kabinet.clock import Clock, SystemClock
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.auth import api, api_manage, consumers, publishing
from services.auth.application import Policy
from services.auth.devphones import DevPhones
from services.auth.keys import AuthKeys
from services.auth.manage import AuthApplication
from services.auth.notices import LoginNotices, Mailer
from services.auth.projections import Directory
from services.auth.quota import HourlyQuota
from services.auth.sms import DevOutbox, HttpSmsProvider, SmsPort, Unconfigured
from services.auth.ussd import DevUssd


def build(settings: Settings, clock: Clock | None = None) -> ServiceParts:
    clock = clock or SystemClock()
    app = AuthApplication(
        env=persistence_env(settings, "auth", serving=True), clock=clock, policy=Policy.of(settings)
    )
    store = ProjectionStore(app.factory.datastore, schema_name("auth", settings.namespace))  # type: ignore[attr-defined]
    directory = Directory(store)
    keys = AuthKeys(store, settings.auth_otp_pepper)
    quota = HourlyQuota(store)
    app.attach(directory, keys, quota)
    phones = DevPhones(store, clock)
    ussd = DevUssd(phones)
    sms: SmsPort = DevOutbox(phones) if settings.profile == "dev" else Unconfigured()
    background = []
    if settings.auth_sms_provider_url:
        provider = HttpSmsProvider(
            settings.auth_sms_provider_url,
            settings.auth_sms_provider_key,
            quota,
            clock,
            hourly_cap=settings.auth_sms_hourly_cap,
            retries=settings.auth_sms_retries,
        )
        sms, background = provider, [provider.run]
    mailer = None
    if settings.auth_smtp_host:
        mailer = Mailer(
            settings.auth_smtp_host,
            settings.auth_smtp_port,
            settings.auth_smtp_sender,
            settings.auth_smtp_user,
            settings.auth_smtp_password,
            settings.auth_smtp_starttls,
        )
    notices = LoginNotices(sms, mailer, store.schema)
    routers = [
        api.create_router(app, sms, ussd),
        api_manage.create_router(app),
        api_manage.ussd_callback_router(app, settings),
    ]
    if settings.profile == "dev":
        routers.append(api_manage.dev_router(phones))
    return ServiceParts(
        name="auth",
        app=app,
        mapper=publishing.to_public,
        routers=routers,
        subscriptions=consumers.subscriptions(directory, notices),
        on_start=[directory.setup, keys.setup, quota.setup, phones.setup],
        background=background,
    )
