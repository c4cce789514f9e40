"""Bad input never answers 5xx: every form and htmx endpoint, for every demo account, gets mutated values
(empty, very long, huge and negative numbers, Unicode and full-width digits, NUL, bidirectional overrides,
markup, codes not offered, repeated fields, a bad CSRF token) and must answer something below 500.

The forms are found the way a browser finds them: by crawling each account's pages and reading their
<form>, hx-get and hx-post elements. CSRF is on, as in production; the valid token travels with every
mutation except the bad-CSRF one. The mutations are sampled per field (not the cartesian product), so the
whole run stays within seconds; the request count is printed and carried in the failure message."""
from __future__ import annotations

import itertools
import json
import re
import zlib
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.accounts import roles
from app.db import get_session

HUGE = str(2**63)
MUTATIONS = {
    "empty": "",
    "long": "长" * 10000,
    "huge": HUGE,
    "huger": "9" * 40,
    "negative": "-1",
    "negative_huge": str(-(2**63) - 1),
    "superscript": "²",
    "fullwidth": "１２",
    "nul": "a\x00b",
    "rtl": "\u202eabc\u202c",
    "markup": '<script>alert("x")</script>',
    "not_offered": "ZZ-未提供的代码",
    "float": "1e309",
    "quote": "名\"é'",
}
NUMERIC = ("huge", "huger", "negative_huge", "superscript", "fullwidth", "negative", "float", "empty")
TEXTUAL = ("nul", "rtl", "long", "markup", "quote", "not_offered", "empty")
URL_INTS = (HUGE, "9" * 40, "0")
# Query arguments the views read, found in the source, plus those of the OAuth2 authorization endpoint.
_SOURCE = "\n".join(p.read_text("utf-8") for p in Path(__file__).resolve().parent.parent.joinpath("app").rglob("*.py"))
QUERY_NAMES = sorted(set(re.findall(r"\.(?:args|values)\.get(?:list)?\(\"(\w+)\"", _SOURCE)) | {
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
    "nonce", "library", "key"})
# Leaving these would end the crawl's own session or leave the test client.
SKIP_PATHS = re.compile(r"^/(logout|oauth/idp/(login|logout)|static/)")
MAX_PAGES_PER_ROLE = 45
MAX_URLS_PER_ENDPOINT = 2


def random_order(names, salt):
    """A stable shuffle (str hash() changes from run to run)."""
    return sorted(names, key=lambda name: zlib.crc32(f"{name}{salt}".encode()))


class _Forms(HTMLParser):
    """The forms, links and htmx requests of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links, self.hx = [], [], []
        self._form = None
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for attr in ("href", "hx-get"):
            if a.get(attr):
                self.links.append(a[attr])
        if a.get("hx-post") and tag != "form":
            self.hx.append((a["hx-post"], a.get("hx-vals")))
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or ""
            method = "post" if a.get("hx-post") or (a.get("method") or "get").lower() == "post" else "get"
            self._form = {"action": action, "method": method, "fields": [], "htmx": bool(a.get("hx-post"))}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                fields.append((a["name"], None, kind))  # known, not sent by default
            elif kind not in ("submit", "button", "image", "reset"):
                fields.append((a["name"], a.get("value") or "", kind))
        elif tag == "select":
            self._select = [a["name"], None, "select"]
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                if a.get("value") or "selected" in a:
                    self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = [a["name"], "", "textarea"]
            fields.append(self._textarea)
        elif tag == "button" and a.get("value") is not None:
            fields.append((a["name"], None, "button:" + a["value"]))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and self._select[1] is None:
                self._select[1] = ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP_PATHS.match(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Fuzzer:
    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.requests = 0
        self.failures: list[str] = []
        self.seen_fields: set = set()
        self.seen_forms: set = set()
        self.seen_query: set = set()
        self.turn = itertools.count()

    def endpoint(self, path: str) -> str | None:
        try:
            return self.adapter.match(urlsplit(path).path, method="GET")[0]
        except Exception:  # noqa: BLE001 - a POST-only or unknown URL
            try:
                return self.adapter.match(urlsplit(path).path, method="POST")[0]
            except Exception:  # noqa: BLE001
                return None

    def send(self, client, method, url, data=None, *, token=None, htmx=False, label=""):
        headers = {}
        if token is not None:
            headers["X-CSRFToken"] = token
        if htmx:
            headers["HX-Request"] = "true"
        self.requests += 1
        response = client.open(url, method=method.upper(), data=data, headers=headers)
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method.upper()} {url[:150]} {label}")
        return response

    # -- crawling -------------------------------------------------------------------------------------
    def crawl(self, client, seeds, max_pages=MAX_PAGES_PER_ROLE):
        queue, seen, per_endpoint, pages = list(seeds), set(), defaultdict(int), []
        while queue and len(pages) < max_pages:
            url = queue.pop(0)
            endpoint = self.endpoint(url)
            if url in seen or endpoint is None or per_endpoint[endpoint] >= MAX_URLS_PER_ENDPOINT:
                continue
            seen.add(url)
            per_endpoint[endpoint] += 1
            response = self.send(client, "GET", url, label="crawl")
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            pages.append((url, parser))
            queue += [u for u in map(_local, parser.links) if u and u not in seen]
        return pages

    # -- mutating -------------------------------------------------------------------------------------
    def fuzz_form(self, client, role, page_url, form, token):
        action = _local(form["action"] or page_url)
        if action is None:
            return
        endpoint = self.endpoint(action)
        fields = [(n, v, k) for n, v, k in form["fields"] if n != "csrf_token"]
        names = tuple(sorted({n for n, _, _ in fields}))
        key = (role, endpoint, form["method"], names)
        if key in self.seen_forms:
            return
        self.seen_forms.add(key)
        method = form["method"]

        def base():
            data = MultiDict()
            for name, value, kind in fields:
                if value is not None and not kind.startswith("button:"):
                    data.add(name, value)
            if method == "post":
                data["csrf_token"] = token
            return data

        def go(data, label, csrf=token):
            if method == "get":
                query = urlencode(list(data.items(multi=True)))
                self.send(client, "GET", f"{urlsplit(action).path}?{query}", htmx=form["htmx"], label=label)
            else:
                self.send(client, "POST", action, data, token=csrf, htmx=form["htmx"], label=label)

        go(base(), "valid")
        if method == "post":
            bad = base()
            bad["csrf_token"] = "bad-token"
            go(bad, "bad csrf", csrf="bad-token")
        # Every field at once, one mutation per request; a form another account already had gets fewer.
        first = (endpoint, names) not in self.seen_forms
        self.seen_forms.add((endpoint, names))
        mutations = (self.pick(MUTATIONS), "huge", "nul", self.pick(NUMERIC), self.pick(TEXTUAL))
        for mutation in mutations if first else mutations[:1]:
            data = base()
            for name in names:
                data.setlist(name, [MUTATIONS[mutation]])
            go(data, f"all fields {mutation}")
        # One field at a time, the others valid: two sampled mutations per field across the run.
        for name, value, kind in fields:
            generic = re.sub(r"-\d+-", "-N-", name)
            if (endpoint, generic) in self.seen_fields:
                continue
            self.seen_fields.add((endpoint, generic))
            numeric = kind in ("hidden", "number", "select", "checkbox", "radio") or name in ("ids", "page")
            choices = ("huge", self.pick(NUMERIC)) if numeric else (self.pick(TEXTUAL), self.pick(NUMERIC))
            for mutation in dict.fromkeys(choices):
                data = base()
                data.setlist(name, [MUTATIONS[mutation]])
                go(data, f"{name}={mutation}")
            data = base()  # repeated field: a valid value and a huge one
            data.setlist(name, [value or "1", HUGE])
            go(data, f"{name} repeated")

    def pick(self, pool):
        return pool[next(self.turn) % len(pool)] if not isinstance(pool, dict) else list(pool)[next(self.turn) % len(pool)]

    def fuzz_query(self, client, role, url):
        endpoint = self.endpoint(url)
        if (endpoint, role) in self.seen_query:
            return
        self.seen_query.add((endpoint, role))
        path = urlsplit(url).path
        kept = parse_qsl(urlsplit(url).query)
        for mutation in (self.pick(MUTATIONS), "huge", "superscript"):
            # A long value in one argument only: thirty of them would be a megabyte no server accepts.
            values = [MUTATIONS[mutation] if mutation != "long" or i == 0 else "" for i in range(len(QUERY_NAMES))]
            query = urlencode(kept + list(zip(random_order(QUERY_NAMES, mutation), values, strict=True)))
            self.send(client, "GET", f"{path}?{query}", htmx=mutation == "huge", label=f"query {mutation}")

    def fuzz_hx_posts(self, client, url, parser, token):
        for target, vals in parser.hx:
            action = _local(target)
            if action is None:
                continue
            names = {"ids", "action", "decision", "reason", "all", "enabled"}
            try:
                names |= set(json.loads(vals or "{}"))
            except ValueError:
                pass
            for mutation in ("huge", "superscript", "nul", self.pick(MUTATIONS)):
                data = MultiDict({name: MUTATIONS[mutation] for name in names})
                data.add("ids", "1")
                self.send(client, "POST", action, data, token=token, htmx=True, label=f"hx-post {mutation}")

    def fuzz_url_ints(self, client, token, values=URL_INTS):
        """Every <int:…> route with out-of-range ids, by GET and POST."""
        for rule in self.app.url_map.iter_rules():
            ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
            if not ints:
                continue
            others = {name: "providers" for name in rule.arguments if name not in ints}
            for value in values:
                path = rule.rule
                for name in rule.arguments:
                    path = re.sub(rf"<[^>]*:?{name}>", value if name in ints else others[name], path)
                for method in sorted(rule.methods & {"GET", "POST"}):
                    self.send(client, method, path, {"csrf_token": token} if method == "POST" else None,
                              token=token, label="url int")


def _seed(app, users):
    """A little more than the demo: an approved record of each library, a docked platform, an OAuth app."""
    from app.accounts.models import get_user_by_username
    from app.hub import service as hub_service
    from app.oauth_server import service as oauth_service
    from app.review import service as review_service
    from app.review.models import Submission

    with app.test_request_context():
        session = get_session()
        city = get_user_by_username("demo_city", session=session)
        county = get_user_by_username("demo_county", session=session)
        for sub in list(session.exec(Submission.__table__.select())):
            for user in (county, city):
                try:
                    review_service.decide(session, sub.id, user=user, decision="approve")
                except Exception:  # noqa: BLE001 - not this reviewer's step; the fuzz only needs some data
                    session.rollback()
        hub = get_user_by_username("demo_hub", session=session)
        try:
            hub_service.register(session, actor=hub, name="长垣市平台", domain="cy.example.cn", bound_user=county)
        except Exception:  # noqa: BLE001
            session.rollback()
        sys_admin = get_user_by_username("demo_sys", session=session)
        try:
            oauth_service.register_app(session, actor=sys_admin, name="测试应用",
                                       redirect_uris=["https://app.example.cn/cb"], scopes=["openid"],
                                       is_public=False)
        except Exception:  # noqa: BLE001
            session.rollback()


@pytest.fixture
def app(make_app):
    """CSRF on, as in production (the shared fixture turns it off for the other tests)."""
    return make_app(WTF_CSRF_ENABLED=True, DOCKING_WORKER=False, PROPAGATE_EXCEPTIONS=False)


def _restore(app, username, snapshot):
    """Put back an account another account's fuzzing disabled, locked, re-roled or gave a new password."""
    from app.accounts.models import get_user_by_username

    with app.app_context():
        session = get_session()
        user = get_user_by_username(username, session=session)
        if username not in snapshot:
            snapshot[username] = {name: getattr(user, name) for name in ("password_hash", "role", "region_code",
                                                                         "credit_code")}
        for name, value in snapshot[username].items():
            setattr(user, name, value)
        user.is_active, user.must_change_password, user.failed_logins, user.locked_until = True, False, 0, None
        session.add(user)
        session.commit()


def _login(client, username, password):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _token(client):
    html = client.get("/home").get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    return match.group(1) if match else ""


def test_no_mutated_request_answers_5xx(app, capsys):
    from app.demo import load_demo


    with app.app_context():
        accounts = load_demo(get_session(), echo=lambda _line: None)
    _seed(app, accounts)
    snapshot = {}
    for username, _role, _password in accounts:
        _restore(app, username, snapshot)
    fuzzer = Fuzzer(app)
    seeds = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments and not SKIP_PATHS.match(rule.rule)})
    seeds += [f"/lib/{key}/" for key in ("providers", "products", "pilots", "targets", "archives")]
    seeds += [f"/lib/{key}/new" for key in ("providers", "products", "pilots", "targets")]
    # Administrators last, so that one of them disabling or signing out an account cannot hide another's run.
    order = sorted(accounts, key=lambda a: a[1] in (roles.CITY_ADMIN, roles.SEC_ADMIN, roles.SYS_ADMIN))
    url_roles, crawled = set(), set()
    anonymous = app.test_client()
    for url in seeds:
        fuzzer.fuzz_query(anonymous, "anonymous", url)
    for username, role, password in order:
        client = app.test_client()
        _restore(app, username, snapshot)
        _login(client, username, password)
        token = _token(client)
        # A second account of a role sees other records through the same pages: a shorter crawl.
        pages = fuzzer.crawl(client, seeds, MAX_PAGES_PER_ROLE if role not in crawled else 12)
        crawled.add(role)
        for url, parser in pages:
            fuzzer.fuzz_query(client, role, url)
            fuzzer.fuzz_hx_posts(client, url, parser, token)
            for form in parser.forms:
                fuzzer.fuzz_form(client, role, url, form, token)
        if role not in url_roles:
            url_roles.add(role)
            fuzzer.fuzz_url_ints(client, token, URL_INTS if role == roles.SYS_ADMIN else (HUGE,))
    with capsys.disabled():
        print(f"\nfuzz: {fuzzer.requests} requests, {len(fuzzer.failures)} answered 5xx")
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.requests} requests answered 5xx:\n" + "\n".join(
        fuzzer.failures[:80])
