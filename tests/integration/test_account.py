"""Account scenarios through the gateway on real PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.account.application import puk_matches
from services.account.domain import Subscriber
from suite.testing import Stack
from tests.integration.helpers import me, sign_in

TOKEN = "Kabinet-Consistency-Token"


def new_number() -> str:
    return f"79{uuid.uuid4().int % 10**9:09d}"


async def activate(
    client: httpx.AsyncClient,
    stack: Stack,
    region: str = "moscow",
    tariff: str = "smart",
    **extra: Any,
) -> str:
    msisdn = new_number()
    answer = await client.post(
        "/ops/v1/subscribers",
        json={
            "msisdn": msisdn,
            "owner_name": "Анна Сергеевна Орлова",
            "region": region,
            "tariff_id": tariff,
            **extra,
        },
        headers=stack.ops_headers,
    )
    assert answer.status_code == 201, answer.text
    await sign_in(client, msisdn, answer.json()["consistency_token"])
    return msisdn


def problem_of(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return answer.status_code, answer.json()["field"]


async def test_staff_activates_a_sim_and_the_puk_is_kept_only_as_a_hash(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack, iccid="8970199012345678901", puk="12345678")
        profile = await client.get("/api/v1/me/profile", headers=me(msisdn))
        options = await client.get("/api/v1/me/options", headers=me(msisdn))
    stored: Subscriber = clocked_stack.app_of("account").subscriber(msisdn)
    assert stored.iccid == "8970199012345678901"
    assert stored.puk_hash is not None and "12345678" not in stored.puk_hash
    assert puk_matches("12345678", stored.puk_hash) and not puk_matches("87654321", stored.puk_hash)
    assert "12345678" not in profile.text
    assert profile.json()["owner_name"] == "Анна Сергеевна Орлова"
    connected = {o["id"] for o in options.json()["options"] if o["connected"]}
    assert {"mobile_internet", "mms", "caller_id"} <= connected


async def test_activation_refuses_an_unknown_region_tariff_or_one_not_open_there(
    clocked_stack: Stack,
) -> None:
    cases = [
        ({"region": "atlantis", "tariff_id": "smart"}, (422, "region")),
        ({"region": "moscow", "tariff_id": "nosuch"}, (404, "tariff_id")),
        ({"region": "moscow", "tariff_id": "classic_2019"}, (422, "tariff_id")),
        ({"region": "novosibirsk", "tariff_id": "senior"}, (422, "tariff_id")),
        ({"region": "moscow", "tariff_id": "smart", "puk": "12"}, (422, "puk")),
        ({"region": "moscow", "tariff_id": "smart", "iccid": "123"}, (422, "iccid")),
    ]
    async with clocked_stack.client() as client:
        for body, expected in cases:
            answer = await client.post(
                "/ops/v1/subscribers",
                json={"msisdn": new_number(), "owner_name": "Б В", **body},
                headers=clocked_stack.ops_headers,
            )
            assert problem_of(answer) == expected, body


async def test_the_subscriber_edits_email_and_language_but_only_staff_the_name(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        edited = await client.patch(
            "/api/v1/me/profile",
            json={"email": "anna@example.ru", "language": "en"},
            headers=me(msisdn),
        )
        same = await client.patch("/api/v1/me/profile", json={"language": "en"}, headers=me(msisdn))
        name = await client.patch(
            "/api/v1/me/profile", json={"owner_name": "X"}, headers=me(msisdn)
        )
        email = await client.patch("/api/v1/me/profile", json={"email": "nope"}, headers=me(msisdn))
        staff = await client.patch(
            f"/ops/v1/subscribers/{msisdn}/profile",
            json={"owner_name": "Анна Сергеевна Петрова"},
            headers=clocked_stack.ops_headers,
        )
        profile = await client.get("/api/v1/me/profile", headers=me(msisdn))
    assert edited.json()["changed"] is True and edited.json()["language"] == "en"
    assert same.json()["changed"] is False
    assert problem_of(name) == (422, "owner_name")
    assert problem_of(email) == (422, "email")
    assert staff.status_code == 200
    assert profile.json()["owner_name"] == "Анна Сергеевна Петрова"
    assert profile.json()["email"] == "anna@example.ru"


async def test_the_tariff_list_shows_the_current_one_first_and_a_change_takes_the_switch_fee(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack, region="spb")
        before = await client.get("/api/v1/me/tariff", headers=me(msisdn))
        changed = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "unlimited"}, headers=me(msisdn)
        )
        after = await client.get("/api/v1/me/tariff", headers=me(msisdn))
        history = await client.get("/api/v1/me/history", headers=me(msisdn))
    listed = before.json()["tariffs"]
    assert listed[0]["id"] == "smart" and listed[0]["current"] is True
    assert listed[0]["prices"]["recurring_fee"] == "500.00"  # St Petersburg's price
    assert "classic_2019" not in {t["id"] for t in listed}
    assert changed.status_code == 200 and changed.json()["changed"] is True
    assert after.json()["tariffs"][0]["id"] == "unlimited"
    assert "100.00 RUB" in history.json()["events"][-1]["text"]


async def test_a_tariff_change_is_refused_when_retired_of_another_region_the_same_or_suspended(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack, region="novosibirsk")
        retired = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "classic_2019"}, headers=me(msisdn)
        )
        region = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "senior"}, headers=me(msisdn)
        )
        same = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "smart"}, headers=me(msisdn)
        )
        unknown = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "nosuch"}, headers=me(msisdn)
        )
        await client.post("/api/v1/me/suspension", json={"reason": "lost"}, headers=me(msisdn))
        suspended = await client.put(
            "/api/v1/me/tariff", json={"tariff_id": "base"}, headers=me(msisdn)
        )
    assert problem_of(retired) == (422, "tariff_id")
    assert "retired" in retired.json()["detail"]
    assert problem_of(region) == (422, "tariff_id")
    assert "novosibirsk" in region.json()["detail"]
    assert problem_of(same) == (409, "tariff_id")
    assert problem_of(unknown) == (404, "tariff_id")
    assert problem_of(suspended) == (409, "status")


async def test_options_connect_once_and_a_conflicting_or_missing_option_is_named(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        connected = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        again = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        conflict = await client.put("/api/v1/me/options/internet_20gb", headers=me(msisdn))
        needed = await client.delete("/api/v1/me/options/mobile_internet", headers=me(msisdn))
        wrong_tariff = await client.put("/api/v1/me/options/minutes_300", headers=me(msisdn))
        content = await client.put("/api/v1/me/options/horoscope_daily", headers=me(msisdn))
        unknown = await client.put("/api/v1/me/options/nosuch", headers=me(msisdn))
        await client.delete("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        data_off = await client.delete("/api/v1/me/options/mobile_internet", headers=me(msisdn))
        off_again = await client.delete("/api/v1/me/options/mobile_internet", headers=me(msisdn))
        requires = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        mms_off = await client.delete("/api/v1/me/options/mms", headers=me(msisdn))
        options = await client.get("/api/v1/me/options", headers=me(msisdn))
    assert connected.json()["changed"] is True and connected.json()["consistency_token"]
    assert again.status_code == 200 and again.json() == {
        "option_id": "internet_5gb",
        "connected": True,
        "changed": False,
        "consistency_token": "",
    }
    assert (
        problem_of(conflict) == (409, "option_id") and "internet_5gb" in conflict.json()["detail"]
    )
    assert problem_of(needed) == (409, "option_id") and "internet_5gb" in needed.json()["detail"]
    assert (
        problem_of(wrong_tariff) == (422, "option_id") and "smart" in wrong_tariff.json()["detail"]
    )
    assert problem_of(content) == (422, "option_id")
    assert problem_of(unknown) == (404, "option_id")
    assert data_off.json()["changed"] is True and off_again.json()["changed"] is False
    assert (
        problem_of(requires) == (422, "option_id")
        and "mobile_internet" in requires.json()["detail"]
    )
    assert mms_off.json()["changed"] is True
    state = {o["id"]: o["connected"] for o in options.json()["options"]}
    assert state["mobile_internet"] is False and state["mms"] is False


async def test_a_suspended_number_refuses_paid_changes_until_the_subscriber_resumes_it(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        suspended = await client.post(
            "/api/v1/me/suspension", json={"reason": "lost"}, headers=me(msisdn)
        )
        twice = await client.post("/api/v1/me/suspension", json={}, headers=me(msisdn))
        profile = await client.get("/api/v1/me/profile", headers=me(msisdn))
        paid = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        free = await client.put("/api/v1/me/options/call_forwarding", headers=me(msisdn))
        blacklist = await client.post(
            "/api/v1/me/blacklist", json={"number": "79217654321"}, headers=me(msisdn)
        )
        bad_reason = await client.post(
            "/api/v1/me/suspension", json={"reason": "debt"}, headers=me(msisdn)
        )
        staff_reason = await client.post(
            "/api/v1/me/suspension", json={"reason": "staff"}, headers=me(msisdn)
        )
        resumed = await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        not_suspended = await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        after = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        dashboard = await client.get("/api/v1/me/dashboard", headers=me(msisdn))
    assert suspended.status_code == 201
    assert problem_of(twice) == (409, "status")
    assert (
        profile.json()["status"] == "suspended" and profile.json()["suspension"]["reason"] == "lost"
    )
    assert problem_of(paid) == (409, "status")
    assert free.json()["changed"] is True
    assert problem_of(blacklist) == (409, "status")
    assert problem_of(bad_reason) == (422, "reason")
    assert problem_of(staff_reason) == (422, "reason")
    assert resumed.json()["status"] == "active"
    assert problem_of(not_suspended) == (409, "status")
    assert after.json()["changed"] is True
    assert dashboard.json()["status"] == "active"


async def test_staff_suspend_a_number_and_only_staff_lift_it(clocked_stack: Stack) -> None:
    ops = clocked_stack.ops_headers
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        suspended = await client.post(
            f"/ops/v1/subscribers/{msisdn}/suspension", json={"reason": "staff"}, headers=ops
        )
        by_subscriber = await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        by_staff = await client.delete(f"/ops/v1/subscribers/{msisdn}/suspension", headers=ops)
        history = await client.get("/api/v1/me/history", headers=me(msisdn))
    assert suspended.status_code == 201
    assert problem_of(by_subscriber) == (409, "status")
    assert by_staff.json()["status"] == "active"
    assert [e["actor"] for e in history.json()["events"][-2:]] == ["staff", "staff"]


async def test_the_blacklist_normalises_numbers_refuses_duplicates_and_connects_the_service(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack, region="spb")
        added = await client.post(
            "/api/v1/me/blacklist", json={"number": "+7 (921) 765-43-21"}, headers=me(msisdn)
        )
        duplicate = await client.post(
            "/api/v1/me/blacklist", json={"number": "89217654321"}, headers=me(msisdn)
        )
        own = await client.post("/api/v1/me/blacklist", json={"number": msisdn}, headers=me(msisdn))
        bad = await client.post("/api/v1/me/blacklist", json={"number": "12"}, headers=me(msisdn))
        second = await client.post(
            "/api/v1/me/blacklist", json={"number": "79031112233"}, headers=me(msisdn)
        )
        listed = await client.get("/api/v1/me/blacklist", headers=me(msisdn))
        removed = await client.delete("/api/v1/me/blacklist/79031112233", headers=me(msisdn))
        absent = await client.delete("/api/v1/me/blacklist/79031112233", headers=me(msisdn))
        history = await client.get("/api/v1/me/history", headers=me(msisdn))
    assert added.status_code == 201 and added.json()["number"] == "79217654321"
    assert problem_of(duplicate) == (409, "number")
    assert problem_of(own) == (422, "number")
    assert problem_of(bad) == (422, "number")
    assert second.status_code == 201
    assert listed.json() == {"numbers": ["79217654321", "79031112233"], "service_connected": True}
    assert removed.status_code == 200
    assert problem_of(absent) == (404, "number")
    texts = [e["text"] for e in history.json()["events"]]
    assert any("«blacklist»" in t for t in texts)
    assert any("1.50 RUB" in t and "79217654321" in t for t in texts)


async def test_staff_add_content_subscriptions_and_the_subscriber_sees_and_cancels_them(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        added = await client.post(
            f"/ops/v1/subscribers/{msisdn}/subscriptions",
            json={"option_id": "horoscope_daily"},
            headers=clocked_stack.ops_headers,
        )
        twice = await client.post(
            f"/ops/v1/subscribers/{msisdn}/subscriptions",
            json={"option_id": "horoscope_daily"},
            headers=clocked_stack.ops_headers,
        )
        not_content = await client.post(
            f"/ops/v1/subscribers/{msisdn}/subscriptions",
            json={"option_id": "blacklist"},
            headers=clocked_stack.ops_headers,
        )
        listed = await client.get("/api/v1/me/subscriptions", headers=me(msisdn))
        cancelled = await client.delete(
            "/api/v1/me/subscriptions/horoscope_daily", headers=me(msisdn)
        )
        again = await client.delete("/api/v1/me/subscriptions/horoscope_daily", headers=me(msisdn))
        empty = await client.get("/api/v1/me/subscriptions", headers=me(msisdn))
    assert added.status_code == 201
    assert problem_of(twice) == (409, "option_id")
    assert problem_of(not_content) == (422, "option_id")
    (item,) = listed.json()["subscriptions"]
    assert (item["provider"], item["fee"], item["fee_period"]) == ("Астро-Медиа", "7.00", "day")
    assert cancelled.status_code == 200
    assert problem_of(again) == (404, "subscription_id")
    assert empty.json()["subscriptions"] == []


async def test_a_support_question_is_answered_by_staff_and_a_long_text_is_refused(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        asked = await client.post(
            "/api/v1/me/support/questions",
            json={"topic": "billing", "text": "Почему списали 7 рублей?"},
            headers=me(msisdn),
        )
        too_long = await client.post(
            "/api/v1/me/support/questions",
            json={"topic": "billing", "text": "я" * 2001},
            headers=me(msisdn),
        )
        bad_topic = await client.post(
            "/api/v1/me/support/questions",
            json={"topic": "gossip", "text": "?"},
            headers=me(msisdn),
        )
        question_id = asked.json()["question_id"]
        path = f"/ops/v1/subscribers/{msisdn}/support/questions/{question_id}/answer"
        answered = await client.post(
            path, json={"text": "Это подписка «Гороскоп»."}, headers=clocked_stack.ops_headers
        )
        twice = await client.post(path, json={"text": "Ещё раз"}, headers=clocked_stack.ops_headers)
        by_subscriber = await client.post(path, json={"text": "сам"}, headers=me(msisdn))
        listed = await client.get("/api/v1/me/support/questions", headers=me(msisdn))
    assert asked.status_code == 201 and asked.json()["status"] == "open"
    assert problem_of(too_long) == (422, "text")
    assert problem_of(bad_topic) == (422, "topic")
    assert answered.status_code == 201
    assert problem_of(twice) == (409, "question_id")
    assert by_subscriber.status_code == 401
    (question,) = listed.json()["questions"]
    assert (question["status"], question["answer"]) == ("answered", "Это подписка «Гороскоп».")


async def test_the_history_tells_every_change_in_plain_words_with_who_made_it(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        msisdn = await activate(client, clocked_stack)
        await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        await client.post("/api/v1/me/suspension", json={}, headers=me(msisdn))
        await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        ru = await client.get("/api/v1/me/history", headers=me(msisdn))
        await client.patch("/api/v1/me/profile", json={"language": "en"}, headers=me(msisdn))
        en = await client.get("/api/v1/me/history", headers=me(msisdn))
    events = ru.json()["events"]
    assert [e["actor"] for e in events] == ["staff", "subscriber", "subscriber", "subscriber"]
    assert events[0]["text"].startswith("Номер подключён на тарифе «smart»")
    assert events[2]["text"] == "Обслуживание приостановлено (утеря телефона)"
    assert en.json()["events"][3]["text"] == "Service resumed"
    assert en.json()["events"][4]["text"] == "Profile changed (language: en)"
