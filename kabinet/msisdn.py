"""MSISDN: stored as 11 digits `7XXXXXXXXXX`; input accepts `+7 (900) 123-45-67`, `8900…`."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s()\-.]")


class MsisdnError(ValueError):
    """Not a Russian mobile number."""


def normalize_msisdn(raw: str) -> str:
    text = _SEPARATORS.sub("", str(raw).strip())
    if text.startswith("+"):
        text = text[1:]
        if not text.startswith("7"):
            raise MsisdnError("number must be a Russian number starting with +7")
    elif len(text) == 11 and text.startswith("8"):
        text = "7" + text[1:]
    elif len(text) == 10 and text.startswith("9"):
        text = "7" + text
    if not (text.isdigit() and len(text) == 11 and text.startswith("79")):
        raise MsisdnError("number must be a mobile number like +7 900 123-45-67")
    return text
