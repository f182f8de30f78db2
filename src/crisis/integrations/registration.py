"""LTI Dynamic Registration 1.0, the tool's side: read the platform's OpenID configuration,
say what the tool is (its client registration with the LTI tool configuration), and read the
platform's answer.

The platform opens the tool's registration address with ``openid_configuration`` (the URL
of its configuration) and usually a ``registration_token``; the tool fetches the
configuration, posts its registration to the platform's ``registration_endpoint`` with the
token, and keeps the client id (and deployment id) the platform gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crisis.integrations.lti import DEEP_LINKING, LaunchRefused

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
#: What the tool asks to be told about a user.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def checked_url(field: str, value: str) -> str:
    """``value`` if it is an https address (or plain http on this very machine).

    Raises:
        LaunchRefused: (check ``configuration``) naming the field and value.
    """
    parts = urlsplit(value.strip())
    schemes = ("https", "http") if parts.hostname in _LOOPBACK else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise LaunchRefused("configuration", f"{field}: {value!r} is not an https:// address")
    return value.strip()


@dataclass(frozen=True)
class PlatformConfiguration:
    """What a platform's OpenID configuration tells a tool."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    #: The ``aud`` of the tool's token-request assertions (``authorization_server``), if named.
    token_audience: str
    scopes_supported: tuple[str, ...]
    product_family_code: str
    version: str
    messages_supported: tuple[str, ...]

    @property
    def name(self) -> str:
        """A name for the admin's list: the product and the issuer's host."""
        host = urlsplit(self.issuer).netloc or self.issuer
        return f"{self.product_family_code} ({host})" if self.product_family_code else host


def read_configuration(url: str, data: Any) -> PlatformConfiguration:
    """The platform configuration fetched from ``url``, checked.

    The issuer must be on the host the configuration came from, so that an address handed to
    the tool cannot register it with someone else's name.

    Raises:
        LaunchRefused: (check ``configuration``) naming the field that is missing or wrong.
    """
    if not isinstance(data, dict):
        raise LaunchRefused("configuration", f"{url} did not send a JSON object")
    missing = [
        name
        for name in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
        if not isinstance(data.get(name), str) or not data[name].strip()
    ]
    lti = data.get(PLATFORM_CONFIGURATION)
    if not isinstance(lti, dict):
        missing.append(PLATFORM_CONFIGURATION)
        lti = {}
    if missing:
        raise LaunchRefused(
            "configuration", f"the platform configuration lacks {', '.join(missing)}"
        )
    issuer = checked_url("issuer", data["issuer"])
    if urlsplit(issuer).netloc.lower() != urlsplit(url).netloc.lower():
        raise LaunchRefused(
            "configuration",
            f"issuer {issuer!r} is not on the host of the configuration address {url!r}",
        )
    methods = data.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        raise LaunchRefused(
            "configuration",
            "token_endpoint_auth_methods_supported lacks private_key_jwt, which LTI requires",
        )
    algorithms = data.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and "RS256" not in algorithms:
        raise LaunchRefused(
            "configuration", "id_token_signing_alg_values_supported lacks RS256, which LTI requires"
        )
    scopes = data.get("scopes_supported")
    messages = lti.get("messages_supported")
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=checked_url(
            "authorization_endpoint", data["authorization_endpoint"]
        ),
        token_endpoint=checked_url("token_endpoint", data["token_endpoint"]),
        jwks_uri=checked_url("jwks_uri", data["jwks_uri"]),
        registration_endpoint=checked_url("registration_endpoint", data["registration_endpoint"]),
        token_audience=str(data.get("authorization_server") or ""),
        scopes_supported=tuple(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else (),
        product_family_code=str(lti.get("product_family_code") or ""),
        version=str(lti.get("version") or ""),
        messages_supported=tuple(
            str(m.get("type"))
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, dict) and m.get("type")
        ),
    )


def tool_registration(
    config: PlatformConfiguration,
    *,
    base: str,
    scopes: Sequence[str],
    name: str = "CRISIS",
    description: str = "",
    logo: str = "",
) -> dict[str, Any]:
    """The client registration the tool posts to the platform's registration endpoint.

    Args:
        config: The platform's configuration (its scopes and messages limit what is asked).
        base: The tool's public address.
        scopes: The scopes the tool would like; only those the platform offers are asked
            for (all, if it does not say).
        name: The tool's name as the platform shows it.
        description: One sentence about the tool.
        logo: The address of the tool's logo.
    """
    launch = base + "/lti/launch"
    wanted = [s for s in scopes if not config.scopes_supported or s in config.scopes_supported]
    messages: list[dict[str, Any]] = []
    if not config.messages_supported or DEEP_LINKING in config.messages_supported:
        messages.append(
            {
                "type": DEEP_LINKING,
                "target_link_uri": launch,
                "label": f"{name} activities",
            }
        )
    tool: dict[str, Any] = {
        "domain": urlsplit(base).netloc,
        "target_link_uri": launch,
        "claims": list(CLAIMS),
        "messages": messages,
    }
    if description:
        tool["description"] = description
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + "/lti/login",
        "redirect_uris": [launch],
        "client_name": name,
        "jwks_uri": base + "/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(wanted),
        TOOL_CONFIGURATION: tool,
    }
    if logo:
        body["logo_uri"] = logo
    return body


@dataclass(frozen=True)
class Registered:
    """What the platform answered: the tool's client id there and its deployment, if any."""

    client_id: str
    deployment_id: str


def read_registration(data: Any) -> Registered:
    """The platform's answer to the registration.

    Raises:
        LaunchRefused: (check ``registration``) the answer has no client id.
    """
    if not isinstance(data, dict):
        raise LaunchRefused("registration", "the platform's answer is not a JSON object")
    client_id = data.get("client_id")
    if not isinstance(client_id, str | int) or not str(client_id).strip():
        raise LaunchRefused("registration", "the platform's answer has no client_id")
    tool = data.get(TOOL_CONFIGURATION)
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    return Registered(
        str(client_id).strip(), str(deployment).strip() if deployment is not None else ""
    )
