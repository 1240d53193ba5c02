"""Single sign-on through the organisation's OpenID Connect provider (`dashboard: oidc:`).

The authorization code flow with PKCE (S256), state and nonce. The provider's endpoints and keys
come from its discovery document (``ISSUER/.well-known/openid-configuration``), whose issuer must
be the configured one. The ID token's signature is checked against the provider's published keys
(joserfc, Authlib's JOSE library) and its claims by Authlib's ``CodeIDToken``: issuer, audience
(this client), expiry, issue time, nonce, ``azp`` and ``at_hash``. Nothing here trusts the
browser: what it brings back (state, code) is checked against what this flow sent.

What the browser keeps between leaving for the provider and coming back (:class:`Pending`: the
state, the nonce, the PKCE verifier and where to go afterwards) is a short-lived HttpOnly cookie
rather than server memory, so any dashboard worker can finish the flow. It needs no signature:
its values are random and only ever compared with what the provider returns, and the code they
unlock is useless without the verifier only that browser holds.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from kpiboard.catalogue.sso import Oidc, OidcRoles
from kpiboard.errors import KpiboardError
from kpiboard.web.db import Role

__all__ = [
    "IdTokenInvalid",
    "Identity",
    "NotAllowed",
    "Oidc",
    "OidcClient",
    "Pending",
    "ProviderUnavailable",
    "SignInExpired",
    "client_secret",
    "role_for",
]

VIA = "oidc"  # how the audit log names this way of signing in
PENDING_SECONDS = 600  # how long a sign-in at the provider may take
LEEWAY_SECONDS = 60  # clock difference allowed between the provider and this machine
# asymmetric signatures only: never "none", and no HMAC (it would make the secret a signing key)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class ProviderUnavailable(KpiboardError):
    """The identity provider cannot be reached or answered wrongly (503)."""


class SignInExpired(KpiboardError):
    """The browser came back with a state this flow did not send, or a second time (400)."""


class IdTokenInvalid(KpiboardError):
    """The ID token's signature or claims are not right (401)."""


class NotAllowed(KpiboardError):
    """The provider signed someone in whom the dashboard will not let in (403)."""


@dataclass(frozen=True)
class Pending:
    """One sign-in at the provider, started and not yet finished."""

    state: str
    nonce: str
    verifier: str  # PKCE code_verifier
    next: str  # where to go once signed in (already made safe)

    def cookie(self) -> str:
        data = json.dumps([self.state, self.nonce, self.verifier, self.next]).encode()
        return base64.urlsafe_b64encode(data).decode("ascii")

    @classmethod
    def from_cookie(cls, value: str | None) -> Pending | None:
        """The pending sign-in a cookie holds; None for none or a damaged one."""
        if not value:
            return None
        try:
            state, nonce, verifier, target = json.loads(base64.urlsafe_b64decode(value))
        except (ValueError, TypeError, binascii.Error):
            return None
        fields = (state, nonce, verifier, target)
        if not all(isinstance(f, str) for f in fields):
            return None
        return cls(state, nonce, verifier, target)


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    username: str
    name: str
    groups: tuple[str, ...]


def role_for(groups: tuple[str, ...], roles: OidcRoles) -> Role | None:
    """The highest role any of the groups gives; None when none is mapped.

    >>> mapping = OidcRoles(viewer=["staff"], admin=["it"])
    >>> role_for(("staff", "it"), mapping), role_for(("canteen",), mapping)
    (<Role.ADMIN: 'admin'>, None)
    """
    given = set(groups)
    for role in reversed(list(Role)):
        if given.intersection(getattr(roles, role.value)):
            return role
    return None


def client_secret(settings: Oidc) -> str:
    """The client secret from the environment variable kpiboard.yaml names."""
    secret = os.environ.get(settings.client_secret_env, "")
    if not secret:
        raise ProviderUnavailable(
            "single sign-on is not ready: the dashboard's client secret is not set",
            hint=f"an administrator should set the environment variable "
            f"{settings.client_secret_env} where kpiboard serve runs, then restart it",
        )
    return secret


class OidcClient:
    """The dashboard as a client of one OpenID Connect provider. One per app; thread-safe
    (what it caches is replaced whole, never changed in place)."""

    def __init__(self, settings: Oidc, secret: str, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self._secret = secret
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    # --- talking to the provider ----------------------------------------------------------

    def _get(self, url: str, what: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=self._timeout, follow_redirects=False)
            answer.raise_for_status()
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise _unreachable(self.settings.issuer, f"its {what} ({url}): {exc}") from None
        if not isinstance(data, dict):
            raise _unreachable(self.settings.issuer, f"its {what} ({url}) is not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once, then remembered)."""
        if self._metadata is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            found = self._get(url, "discovery document")
            if found.get("issuer") != self.settings.issuer:
                raise _unreachable(
                    self.settings.issuer,
                    f"its discovery document names the issuer {found.get('issuer')!r}",
                )
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str):
                    raise _unreachable(self.settings.issuer, f"its discovery document has no {key}")
            self._metadata = found
        return self._metadata

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = self._get(self.metadata()["jwks_uri"], "signing keys")
            try:
                self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise _unreachable(self.settings.issuer, f"its signing keys: {exc}") from None
        return self._keys

    # --- the flow ---------------------------------------------------------------------------

    def begin(self, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
        """Where to send the browser to sign in, and what it must bring back."""
        pending = Pending(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(48),
            next_path,
        )
        url = add_params_to_uri(
            self.metadata()["authorization_endpoint"],
            [
                ("response_type", "code"),
                ("client_id", self.settings.client_id),
                ("redirect_uri", redirect_uri),
                ("scope", " ".join(self.settings.scopes)),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return url, pending

    def finish(self, redirect_uri: str, pending: Pending | None, state: str, code: str) -> Identity:
        """The person signed in, from the code the provider sent back with ``state``."""
        if pending is None:
            raise SignInExpired(
                "this sign-in link has already been used, has expired, or was started in "
                "another browser",
                hint="go back to the sign-in page and sign in again",
            )
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SignInExpired(
                "the answer from the identity provider does not belong to this sign-in "
                "(the state does not match), so it was refused",
                hint="go back to the sign-in page and sign in again",
            )
        tokens = self._exchange(redirect_uri, code, pending.verifier)
        claims = self.verify_id_token(
            tokens.get("id_token"), pending.nonce, tokens.get("access_token")
        )
        return self._identity(claims)

    def _exchange(self, redirect_uri: str, code: str, verifier: str) -> dict[str, Any]:
        """The tokens for the code (client_secret_basic, RFC 6749 section 2.3.1)."""
        auth = (quote(self.settings.client_id, safe=""), quote(self._secret, safe=""))
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        try:
            answer = httpx.post(
                self.metadata()["token_endpoint"], data=form, auth=auth, timeout=self._timeout
            )
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise _unreachable(self.settings.issuer, f"its token endpoint: {exc}") from None
        if not isinstance(data, dict):
            data = {}
        if answer.status_code == 400 and data.get("error") == "invalid_grant":
            raise SignInExpired(
                "the identity provider would not complete this sign-in: its code has already "
                "been used or has expired",
                hint="go back to the sign-in page and sign in again",
            )
        if answer.status_code != 200:
            raise _unreachable(
                self.settings.issuer,
                f"its token endpoint answered {answer.status_code} {data.get('error', '')}".rstrip(),
            )
        return data

    def verify_id_token(
        self, id_token: object, nonce: str, access_token: object = None
    ) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims are checked; IdTokenInvalid
        otherwise. A key the provider has rotated in is fetched once."""
        if not isinstance(id_token, str):
            raise _invalid("the identity provider sent no ID token")
        algorithms = [
            a
            for a in self.metadata().get("id_token_signing_alg_values_supported", ["RS256"])
            if a in ALGORITHMS
        ]
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=algorithms)
            except InvalidKeyIdError:  # signed with a key published since? look once more
                token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=algorithms)
            params: dict[str, Any] = {"nonce": nonce, "client_id": self.settings.client_id}
            if isinstance(access_token, str):
                params["access_token"] = access_token
            claims = CodeIDToken(token.claims, token.header, _claim_options(self.settings), params)
            claims.validate(now=int(time.time()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError) as exc:
            raise _invalid(f"the ID token is not valid: {exc}") from None
        return dict(claims)

    def _identity(self, claims: dict[str, Any]) -> Identity:
        username = claims.get(self.settings.username_claim)
        if not isinstance(username, str) or not username:
            raise NotAllowed(
                f"the identity provider sent no {self.settings.username_claim!r} claim, so "
                "kpiboard cannot tell who you are",
                hint="an administrator should check dashboard: oidc: username_claim and the "
                "scopes the provider releases it under",
            )
        groups = claims.get(self.settings.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        name = claims.get("name")
        return Identity(
            username=username,
            name=name if isinstance(name, str) else username,
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )


def _claim_options(settings: Oidc) -> dict[str, Any]:
    """The claims every ID token must have, and the values two of them must take."""
    return {
        "iss": {"essential": True, "value": settings.issuer},
        "aud": {"essential": True, "value": settings.client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "sub": {"essential": True},
    }


def _unreachable(issuer: str, problem: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"the identity provider ({issuer}) cannot be used for signing in just now: {problem}",
        hint="try again in a few minutes; if it goes on, tell the dashboard's administrator "
        "(a kpiboard account with a password can still sign in)",
    )


def _invalid(message: str) -> IdTokenInvalid:
    return IdTokenInvalid(
        message,
        hint="sign in again; if it goes on, the dashboard's administrator should check the "
        "identity provider's settings (issuer and client_id in kpiboard.yaml)",
    )
