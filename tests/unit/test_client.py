"""The pooled HTTP session the gateway shares between all users keeps no cookies."""

from __future__ import annotations

from aiohttp import web

from kabinet.client import pooled_session, request


async def test_a_cookie_one_answer_sets_is_not_sent_with_the_next_call() -> None:
    seen: list[str | None] = []

    async def handler(req: web.Request) -> web.Response:
        seen.append(req.headers.get("Cookie"))
        answer = web.Response(text="ok")
        answer.set_cookie("session", "someone-else", path="/")
        return answer

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with pooled_session(2, 5.0) as session:
            for _ in range(2):
                # By name: aiohttp never keeps cookies of hosts given as IP addresses.
                reply = await request(session, "GET", f"http://localhost:{port}/")
                assert reply.status_code == 200
                assert "someone-else" in reply.headers["Set-Cookie"]
    finally:
        await runner.cleanup()
    assert seen == [None, None]
