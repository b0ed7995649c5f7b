"""A card acquirer simulator: a small process that behaves like a real acquirer.

Test cards (any future expiry, any 3-digit CVC):
- 4111 1111 1111 1111 — captured at once, one signed callback
- 4000 0000 0000 0002 — declined (insufficient funds), one signed callback
- 4000 0000 0000 0119 — times out: the payment call hangs past the client's timeout, then
  the payment is captured and a late callback arrives
- 4000 0000 0000 0259 — captured, and the callback is sent twice
- 4000 0000 0000 0341 — times out like 0119, and no callback ever comes (settled by the
  payments janitor polling the payment)
"""
