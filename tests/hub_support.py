"""The receiving side (app/hub) as the test_hub_* files drive it: a lower platform talking to the hub with
`requests` as its configuration file describes (`Lower`), the served hub with one approved county platform
(`Hub`, made by the `hub` fixture in conftest.py), and registering and approving a platform."""
from __future__ import annotations

import json
from dataclasses import dataclass

import requests
from sqlalchemy import update
from sqlmodel import select

from app.db import get_session, write
from app.docking import protocol, sm4
from app.docking.authheader import build
from app.hub import service
from app.hub.models import DockedPlatform, HubCall

DOMAIN = "szzx.changyuan.gov.cn"
COUNTY = "410783"


class Lower:
    """A lower platform as the configuration file describes it, talking to the hub with `requests`."""

    def __init__(self, config_text: str):
        self.cfg = protocol.read_config_file(config_text)
        self.key = sm4.parse_key(self.cfg["sm4Key"])

    def token(self, *, as_json: bool = False, query: bool = False, **overrides) -> requests.Response:
        params = {"username": self.cfg["username"], "client_id": self.cfg["clientId"],
                  "client_secret": self.cfg["clientSecret"], "grant_type": self.cfg["grantType"],
                  "scope": self.cfg["scope"], **overrides}
        url = protocol.token_url(self.cfg["baseUrl"])
        if as_json:
            return requests.post(url, json=params, timeout=10)
        if query:
            return requests.post(url, params=params, timeout=10)
        return requests.post(url, data=params, timeout=10)

    def access_token(self) -> str:
        response = self.token()
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def header(self, token: str, *, platform: str | None = None, region: str | None = None,
               key: bytes | None = None) -> str:
        return build(self.cfg["auth"], key or self.key, platform=platform or self.cfg["platformInfo"],
                     region=region or self.cfg["regionCode"], token=token)

    def push(self, library: str, records, *, token: str | None = None, authorization: str | None = None,
             data=None, headers: dict | None = None) -> requests.Response:
        auth = authorization if authorization is not None else self.header(token or self.access_token())
        body = data if data is not None else json.dumps(records, ensure_ascii=False).encode()
        return requests.post(protocol.upload_url(self.cfg["baseUrl"], library), data=body, timeout=30,
                             headers={"Authorization": auth, "Content-Type": "application/json", **(headers or {})})


@dataclass
class Hub:
    app: object
    base: str
    platform_id: int
    lower: Lower
    admin: object
    approver: object
    bound: object

    def run(self, fn, *args, **kwargs):
        """Call `fn(session, *args)` in a request context of the served app."""
        with self.app.test_request_context(base_url=self.base):
            return fn(get_session(), *args, **kwargs)

    def platform(self) -> DockedPlatform:
        return self.run(lambda s: s.get(DockedPlatform, self.platform_id))

    def set(self, **values) -> None:
        def change(session):
            with write(session):
                session.execute(update(DockedPlatform).where(DockedPlatform.id == self.platform_id).values(**values))
        self.run(change)

    def calls(self) -> list[HubCall]:
        return self.run(lambda s: list(s.exec(select(HubCall).order_by(HubCall.id))))


def register_and_approve(app, base, *, admin, approver, bound, name="长垣市中小企业数字化转型公共服务平台",
                         domain=DOMAIN, window="00:00-00:00", **limits):
    """Register and approve a platform through the service (as the pages do); (platform id, credentials)."""
    with app.test_request_context(base_url=base):
        session = get_session()
        platform = service.register(session, actor=admin, name=name, domain=domain, bound_user=bound,
                                    push_window=window, **limits)
        creds = service.approve(session, platform, actor=approver)
        return platform.id, creds


def assert_spec_error(response, status: int, code: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"] == protocol.SPEC_MESSAGES.get(code, body["message"])
    assert body["timestamp"].isdigit()
    return body
