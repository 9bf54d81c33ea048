"""The URL forms that browsers and Python could read as different hosts (refused everywhere),
and forms written differently but read alike (accepted), shared by the in-process and browser tests."""

from __future__ import annotations

import pytest

ALLOWED_ORIGIN = "https://mysaas.com"
ATTACK = "https://evil.com\\@mysaas.com/back"

# (URL, a word the refusal must use to say what is wrong). Each is read by Python as
# mysaas.com (or not as a URL at all), and by a browser differently or not at all.
AMBIGUOUS_FORMS = [
    pytest.param(ATTACK, "backslash", id="backslash-userinfo"),
    pytest.param("https://mysaas.com\\@evil.com/back", "backslash", id="backslash-path"),
    pytest.param("https:/\\evil.com/back", "backslash", id="slash-backslash"),
    pytest.param("https://evil.com%5c@mysaas.com/back", "user", id="encoded-backslash-userinfo"),
    pytest.param("https://evil.com@mysaas.com/back", "user", id="userinfo"),
    pytest.param("https://user:pass@mysaas.com/back", "password", id="user-password"),
    pytest.param("https://mysaas.com\t/back", "tabs", id="tab"),
    pytest.param("https://mysaas.com\n/back", "newlines", id="newline"),
    pytest.param("https://mysaas.com\x00/back", "control", id="nul"),
    pytest.param(" https://mysaas.com/back", "spaces", id="leading-space"),
    pytest.param("https://mysaas.com/back ", "spaces", id="trailing-space"),
    pytest.param("https:mysaas.com/back", "https://", id="no-slashes"),
    pytest.param("https:///mysaas.com/back", "https://", id="three-slashes"),
    pytest.param("https://mysaas.com//evil.com/back", "//", id="double-slash-path"),
    pytest.param("https://mysaas.com:99999/back", "port", id="port-out-of-range"),
    pytest.param("https://mysaas.com:/back", "port", id="empty-port"),
    pytest.param("https://mys%61as.com/back", "percent", id="percent-encoded-host"),
    pytest.param("https://mysaas。com/back", "ASCII", id="ideographic-full-stop"),
    pytest.param("https://0x7f.1/back", "IPv4", id="hex-ipv4"),
]
# Written differently, read alike by every parser: these must keep working.
BROWSER_EQUIVALENT_FORMS = [
    "HTTPS://mysaas.com/back",
    "Https://MySaaS.com:443/back?next=https://other.example/x@y#frag",
]
