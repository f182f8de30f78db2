"""A real LTI 1.3 platform for the tests, built on the ``lti1p3platform`` package, with LTI
Dynamic Registration built on Authlib's OpenID Connect server side.

The package does the platform's side of the protocol: the login-initiation URL, checking our
authentication request, signing the id_token (resource link and deep linking, with the AGS and
NRPS claims), issuing access tokens against our signed assertions, checking the bearer token of
each service call, validating our deep-linking response against our key set, and serving the
membership container. What a platform keeps for itself (its gradebook, its roster, which user
is signed in) lives here, in plain dictionaries.

No Python package implements the platform side of LTI Dynamic Registration, so the
registration endpoint is Authlib's OAuth 2.0 Dynamic Client Registration endpoint (RFC 7591)
with its OpenID Connect client metadata checks, behind an OpenID Provider configuration that
Authlib checks against OpenID Connect Discovery; what LTI adds (the platform configuration
claim, the tool configuration claim, the deployment id in the answer) is done here, as an
LMS does it, following LTI Dynamic Registration 1.0.
"""

from __future__ import annotations

import html
import socket
import threading
import time
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlencode

import uvicorn
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import JsonPayload, JsonRequest
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.registration import ClientMetadataClaims as OidcClientMetadataClaims
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LtiRequest
from lti1p3platform.request import TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class _Json(JsonPayload):
    def __init__(self, data: t.Any) -> None:
        self._data = data

    @property
    def data(self) -> t.Any:
        return self._data


class _RegistrationServer(AuthorizationServer):
    """Authlib's server, reduced to what a registration endpoint needs from a framework."""

    def create_json_request(self, request: t.Any) -> JsonRequest:
        method, url, headers, body = request
        json_request = JsonRequest(method, url, headers)
        json_request.payload = _Json(body)
        return json_request

    def handle_response(self, status: int, body: t.Any, headers: t.Any) -> Response:
        return JSONResponse(body, status_code=status, headers=dict(headers))


class _Req(LtiRequest):
    def build_metadata(self, request: t.Any) -> TRequest:
        return t.cast(TRequest, request)


@dataclass
class Launch:
    """What the platform will put in the next id_token (chosen by the test)."""

    user: str
    roles: list[str]
    name: str = ""
    resource_link: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    deep_link: bool = False


class TestPlatform:
    """The platform: registration, users, gradebook, roster, and its HTTP server."""

    __test__ = False

    def __init__(self, tool_base: str, client_id: str = "crisis-client", deployment: str = "dep-1"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = self.url
        self.client_id = client_id
        self.deployment = deployment
        self.private_pem, self.public_pem = _pem_pair()
        self.registration = (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(client_id)
            .set_deployment_id(deployment)
            .set_launch_url(tool_base + "/lti/launch")
            .set_deeplink_launch_url(tool_base + "/lti/launch")
            .set_oidc_login_url(tool_base + "/lti/login")
            .set_platform_public_key(self.public_pem)
            .set_platform_private_key(self.private_pem)
        )
        self.launches: dict[str, Launch] = {}
        #: line item id → {user: score body}: the gradebook.
        self.gradebook: dict[str, dict[str, dict[str, t.Any]]] = {"1": {}}
        self.refuse_scores = False
        self.roster: list[dict[str, t.Any]] = []
        self.deep_link_items: list[dict[str, t.Any]] = []
        self.context = Context(id="course-7", label="SCRO-101", title="SCRO 101: City resilience")
        #: Dynamic Registration: the token the platform hands the tool, what was registered,
        #: and how the platform reads the tool's key set (set by the test).
        self.registration_token = "reg-" + client_id
        self.registered: list[dict[str, t.Any]] = []
        self.fetch_tool_jwks: t.Callable[[str], dict[str, t.Any]] | None = None
        #: Changes to the OpenID configuration it serves (a misconfigured platform).
        self.configuration_changes: dict[str, t.Any] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- the platform's configuration, as lti1p3platform asks -----------------------------

    def config(self) -> LTI1P3PlatformConfAbstract:
        registration = self.registration

        class Conf(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs: t.Any) -> None:
                self._registration = registration

            def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
                return registration

        return Conf()

    def set_tool_keys(self, jwks: dict[str, t.Any]) -> None:
        """The tool's public key set, as an LMS admin pastes or fetches it."""
        self.registration.set_tool_key_set(jwks)  # type: ignore[arg-type]

    def login_url(self, hint: str, launch: Launch) -> str:
        """The URL with which the platform starts a launch at the tool (OIDC initiation)."""
        self.launches[hint] = launch
        platform = self

        class Login(OIDCLoginAbstract):
            def set_lti_message_hint(self, **kwargs: t.Any) -> None:
                self._lti_message_hint = kwargs["hint"]

            def get_redirect(self, url: str) -> str:
                return url

        login = Login(None, platform.config())
        login.set_lti_message_hint(hint=hint)
        if launch.deep_link:
            login.set_deeplinking_launch_url()
        return str(login.initiate_login(launch.user))

    # --- LTI Dynamic Registration ----------------------------------------------------------

    def openid_configuration(self) -> dict[str, t.Any]:
        """The platform's OpenID configuration, with its LTI platform configuration."""
        config = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url + "/auth",
            "token_endpoint": self.url + "/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.url + "/jwks",
            "registration_endpoint": self.url + "/register",
            "scopes_supported": ["openid", *LTI_SCOPES],
            "response_types_supported": ["id_token"],
            "grant_types_supported": ["implicit", "client_credentials"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": "lti1p3platform",
                "version": "0.1.8",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }
        config.update(self.configuration_changes)
        OpenIDProviderMetadata(config).validate()  # OpenID Connect Discovery, as Authlib reads it
        return config

    def registration_start(self, tool_url: str) -> str:
        """The address the platform opens when its admin enters the tool's registration URL."""
        query = urlencode(
            {
                "openid_configuration": self.url + "/.well-known/openid-configuration",
                "registration_token": self.registration_token,
            }
        )
        return tool_url + ("&" if "?" in tool_url else "?") + query

    def _registration_endpoint(self) -> ClientRegistrationEndpoint:
        platform = self

        class Endpoint(ClientRegistrationEndpoint):
            def authenticate_token(self, request: t.Any) -> t.Any:
                scheme, _, token = request.headers.get("authorization", "").partition(" ")
                return (
                    token
                    if scheme.lower() == "bearer" and token == platform.registration_token
                    else None
                )

            def get_server_metadata(self) -> dict[str, t.Any]:
                return platform.openid_configuration()

            def generate_client_id(self, request: t.Any) -> str:
                return f"dyn-{len(platform.registered) + 1}"

            def save_client(
                self, client_info: t.Any, client_metadata: t.Any, request: t.Any
            ) -> t.Any:
                tool = request.payload.data.get(TOOL_CONFIGURATION)
                return platform._install(client_info, client_metadata, tool)

            def generate_client_registration_info(self, client: t.Any, request: t.Any) -> t.Any:
                # LTI: the answer repeats the tool configuration with the deployment made.
                return {
                    TOOL_CONFIGURATION: {**client["tool"], "deployment_id": platform.deployment}
                }

        return Endpoint(claims_classes=[ClientMetadataClaims, OidcClientMetadataClaims])

    def _install(
        self, client_info: dict[str, t.Any], metadata: dict[str, t.Any], tool: t.Any
    ) -> dict[str, t.Any]:
        """What an LMS does with a registration: check the LTI part, make the tool's
        registration with the client id it issued and the tool's keys."""
        from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError

        if not isinstance(tool, dict):
            raise InvalidClientMetadataError(f"{TOOL_CONFIGURATION} is missing")
        for name in ("domain", "target_link_uri"):
            if not isinstance(tool.get(name), str) or not tool[name]:
                raise InvalidClientMetadataError(f"{TOOL_CONFIGURATION}.{name} is missing")
        if metadata.get("token_endpoint_auth_method") != "private_key_jwt":
            raise InvalidClientMetadataError("LTI tools authenticate with private_key_jwt")
        if not metadata.get("jwks_uri") or self.fetch_tool_jwks is None:
            raise InvalidClientMetadataError("jwks_uri is missing")
        self.client_id = client_info["client_id"]
        self.registration.set_client_id(self.client_id)
        self.registration.set_launch_url(tool["target_link_uri"])
        self.registration.set_deeplink_launch_url(
            next(
                (
                    m["target_link_uri"]
                    for m in tool.get("messages", [])
                    if m.get("type") == "LtiDeepLinkingRequest"
                ),
                tool["target_link_uri"],
            )
        )
        self.registration.set_oidc_login_url(metadata["initiate_login_uri"])
        self.set_tool_keys(self.fetch_tool_jwks(metadata["jwks_uri"]))
        client = {"client_id": self.client_id, "metadata": metadata, "tool": tool}
        self.registered.append(client)
        return client

    # --- the HTTP side ---------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()
        platform = self

        registrations = _RegistrationServer()
        registrations.register_endpoint(platform._registration_endpoint())

        @app.get("/.well-known/openid-configuration")
        def openid_configuration() -> Response:
            return JSONResponse(platform.openid_configuration())

        @app.post("/register")
        async def register(request: Request) -> Response:
            try:
                body = await request.json()
            except ValueError:
                body = None
            return t.cast(
                Response,
                registrations.create_endpoint_response(
                    "client_registration",
                    ("POST", str(request.url), request.headers, body),
                ),
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return JSONResponse(platform.config().get_jwks())

        @app.get("/auth")
        def auth(request: Request) -> Response:
            query = dict(request.query_params)
            launch_spec = platform.launches.get(query.get("lti_message_hint", ""))
            if launch_spec is None or query.get("login_hint") != launch_spec.user:
                return JSONResponse({"error": "login_required"}, status_code=400)

            class Message(LTIAdvantageMessageLaunchAbstract):
                def prepare_launch(self, preflight_response: dict[str, t.Any]) -> None:
                    self.set_user_data(
                        launch_spec.user, launch_spec.roles, full_name=launch_spec.name or None
                    )
                    self.set_launch_context_claim(
                        platform.context.id,
                        ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
                        platform.context.title,
                        platform.context.label,
                    )
                    self.set_nrps(platform.url + "/memberships")
                    if launch_spec.deep_link:
                        self.set_dl(
                            platform.url + "/deep_link_return",
                            title="Add CRISIS",
                            accept_types={"ltiResourceLink"},
                            extra_data={"opaque": "abc"},
                        )
                    else:
                        self.set_resource_link_claim(launch_spec.resource_link, title="CRISIS")
                        self.set_custom_parameters_claim(launch_spec.custom)
                        self.set_ags(
                            platform.url + "/lineitems",
                            platform.url + "/lineitems/1",
                            allow_creating_lineitems=False,
                        )

                def render_launch_form(
                    self, launch_data: dict[str, t.Any], **kw: t.Any
                ) -> Response:
                    return HTMLResponse(
                        f'<form method="post" action="{html.escape(launch_data["launch_url"])}">'
                        f'<input name="id_token" value="{launch_data["id_token"]}">'
                        f'<input name="state" value="{html.escape(launch_data["state"])}"></form>'
                    )

            message = Message(_Req({"get_data": query, "form_data": {}}), platform.config())
            return t.cast(Response, message.lti_launch())

        @app.post("/token")
        async def token(request: Request) -> Response:
            form = {k: v for k, v in (await request.form()).items()}
            try:
                return JSONResponse(platform.config().get_access_token(form))
            except Exception as exc:
                return JSONResponse(
                    {"error": "invalid_client", "detail": str(exc)}, status_code=401
                )

        class Grades(AssignmentsGradesService):
            def find_lineitems(self, **kw: t.Any) -> t.Any:
                return {"content": [], "has_next": False}

            def find_lineitem(self, line_item_id: str) -> t.Any:
                return {"id": line_item_id}

            def create_lineitem(self, creation_data: t.Any) -> t.Any:
                return creation_data

            def update_lineitem(self, update_data: t.Any) -> t.Any:
                return update_data

            def delete_lineitem(self, line_item_id: str) -> None:
                return None

            def get_results(self, line_item_id: str, **kw: t.Any) -> t.Any:
                return {"content": [], "has_next": False}

            def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
                if platform.refuse_scores:
                    return UpdateScoreStatus.NOTAPPLIED
                platform.gradebook.setdefault(line_item_id, {})[score["userId"]] = score
                return UpdateScoreStatus.SUCCESS

        @app.post("/lineitems/{item}/scores")
        async def scores(item: str, request: Request) -> Response:
            body = await request.json()
            service = Grades(
                _Req({"method": "POST", "headers": request.headers, "json": body, "get_data": {}}),
                platform.config(),
                platform.url + "/lineitems",
                platform.url + f"/lineitems/{item}",
                allow_creating_lineitems=False,
            )
            answer = service.handle_resp(service.handle_update_score, line_item_id=item)
            return JSONResponse({"message": answer.message}, status_code=answer.code)

        class Roster(NamesRoleProvisioningService):
            def get_member_data_page(self, **kw: t.Any) -> t.Any:
                return {"content": [dict(m) for m in platform.roster], "has_next": False}

            def get_context_by_id(self) -> Context:
                return platform.context

        @app.get("/memberships")
        def memberships(request: Request) -> Response:
            service = Roster(
                _Req({"method": "GET", "headers": request.headers, "get_data": {}}),
                platform.config(),
                platform.url + "/memberships",
            )
            answer = service.handle_resp(service.handle_get_members)
            return JSONResponse(
                answer.result, status_code=answer.code, media_type=answer.media_type
            )

        @app.post("/deep_link_return")
        async def deep_link_return(request: Request) -> Response:
            form = {k: v for k, v in (await request.form()).items()}
            items = platform.config().validate_deeplinking_resp(form)
            platform.deep_link_items.extend(items)
            return HTMLResponse("<p>Added.</p>")

        return app

    def start(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test platform did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def query(self, **params: str) -> str:
        return urlencode(params)
