"""The load test's workload (run by bench/load.py, which writes the plan this file reads).

Each simulated user takes the next demo account in turn (every role), signs in through the
login form with its CSRF token, opens the map (page and its area and river layers), then
repeats: one action, then 3-8 s of thought. An action is one of
  - a map pan: 12 tiles (4 x 3 around a point of the user's area, zoom 10-16) fetched over
    6 concurrent connections, as a browser does, revalidating tiles it already holds by ETag;
    a third of pans with a map filter (class, status or sub-type);
  - the asset list, half of the time filtered (class, area, sub-type or text), page 1-3;
  - an asset page; a search (the map's search box); an area page;
  - for editors, one action in ten (--write-share), a write: an asset edit (the asset page
    for the current version, then the edit form's POST: every field as it stands, a new note)
    or a record entry (the form page, then its POST: a maintenance log or an income record).
    Every write carries a unique token (the note, the findings, the account), so that
    bench/load.py can find it in the database afterwards.
Readers (planner, auditor) never write: their write turn is a read.
Every request is recorded (start, kind, ms, status) and written out when Locust quits.
"""

import itertools
import json
import math
import os
import random
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

from gevent.pool import Pool
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["ATLAS_LOAD_PLAN"]).read_text())
RESULTS = Path(os.environ["ATLAS_LOAD_RESULTS"])
RUN = PLAN["run"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
READS = ["pan", "asset_list", "asset_page", "search", "area_page", "gaps_page", "site_list"]
READ_WEIGHTS = [4, 1.5, 2, 1.5, 1, 0.75, 0.75]
PAN_TILES = [(dx, dy) for dy in (-1, 0, 1) for dx in (-2, -1, 0, 1)]
CONNECTIONS = 6

_accounts = itertools.cycle(PLAN["accounts"])
_tokens = itertools.count(1)
requests: list[list[Any]] = []  # [start (epoch s), kind, ms, status]
writes: list[dict[str, Any]] = []
pans: list[float] = []
actions = 0


@events.request.add_listener
def _record(name: str, response_time: float, response: Any = None, **kwargs: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    start = kwargs.get("start_time") or time.time() - response_time / 1000
    requests.append([start, name, response_time, status])


@events.quitting.add_listener
def _dump(**_kwargs: Any) -> None:
    RESULTS.write_text(
        json.dumps({"requests": requests, "writes": writes, "pans": pans, "actions": actions})
    )


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


class AtlasUser(FastHttpUser):
    wait_time = between(*PLAN["think"])
    concurrency = CONNECTIONS  # connections per user, as a browser opens per host
    connection_timeout = 10.0
    network_timeout = 60.0

    def on_start(self) -> None:
        self.account = next(_accounts)
        self.rng = random.Random()
        self.etags: dict[str, str] = {}
        self.sign_in()

    # --- helpers ---------------------------------------------------------------------------

    def sign_in(self) -> None:
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF.search(page.text or "")
        if token is None:
            raise StopUser()
        body = urllib.parse.urlencode(
            {
                "username": self.account["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1),
            }
        )
        with self.client.post(
            "/accounts/login/",
            data=body,
            headers=FORM,
            name="login (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused ({response.status_code})")
                raise StopUser()
        self.client.get("/map/", name="map page")
        self.client.get("/gis/areas.geojson", name="map layers")
        self.client.get("/gis/waterways.geojson", name="map layers")

    def pick(self, key: str) -> Any:
        items = self.account[key]
        return self.rng.choice(items) if items else None

    # --- the action ------------------------------------------------------------------------

    @task
    def act(self) -> None:
        global actions
        actions += 1
        if self.account["editor"] and self.rng.random() < PLAN["write_share"]:
            self.write()
        else:
            getattr(self, self.rng.choices(READS, weights=READ_WEIGHTS)[0])()

    def pan(self) -> None:
        lon, lat = self.pick("villages") or (108.4, 30.8)
        lon, lat = lon + self.rng.gauss(0, 0.01), lat + self.rng.gauss(0, 0.01)
        z = self.rng.randint(10, 16)
        x, y = tile_xy(lon, lat, z)
        query, name = "", "tile"
        if self.rng.random() < 1 / 3:
            name = "tile (filtered)"
            kind = self.rng.choices(["asset_class", "status", "subtype"], weights=[2, 1, 1])[0]
            value = {
                "asset_class": self.rng.choice(["operating", "public", "household"]),
                "status": "in_use",
                "subtype": self.rng.choice(PLAN["subtypes"]),
            }[kind]
            query = f"?{kind}={value}"
        started = time.perf_counter()
        pool = Pool(CONNECTIONS)
        for dx, dy in PAN_TILES:
            pool.spawn(self.tile, f"/gis/tiles/assets/{z}/{x + dx}/{y + dy}.mvt{query}", name)
        pool.join(timeout=180)
        pans.append((time.perf_counter() - started) * 1000)

    def tile(self, url: str, name: str) -> None:
        headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
        response = self.client.get(url, name=name, headers=headers)
        etag = (response.headers or {}).get("ETag")
        if etag and response.status_code in (200, 304):
            self.etags[url] = etag

    def asset_list(self) -> None:
        params: dict[str, Any] = {}
        name = "asset list"
        if self.rng.random() < 0.5:
            name = "asset list (filtered)"
            kind = self.rng.choice(["asset_class", "area", "subtype", "q"])
            params[kind] = {
                "asset_class": lambda: self.rng.choice(["operating", "public", "household"]),
                "area": lambda: self.pick("townships"),
                "subtype": lambda: self.rng.choice(PLAN["subtypes"]),
                "q": lambda: self.pick("search"),
            }[kind]()
        if self.rng.random() < 0.3:
            params["page"] = self.rng.randint(2, 3)
        query = urllib.parse.urlencode(params)
        self.client.get("/assets/" + (f"?{query}" if query else ""), name=name)

    def asset_page(self) -> None:
        code = self.pick("assets")
        if code is None:
            return self.asset_list()
        self.client.get(f"/assets/{code}/", name="asset page")

    def search(self) -> None:
        term = self.pick("search") or "公路"
        query = urllib.parse.urlencode({"q": term})
        self.client.get(f"/gis/assets/search.json?{query}", name="search")

    def area_page(self) -> None:
        code = self.pick("areas")
        if code is None:
            return self.asset_list()
        self.client.get(f"/areas/{code}/", name="area page")

    def gaps_page(self) -> None:
        """The network gaps of one of the user's townships (or all of their area)."""
        township = self.pick("townships")
        query = f"?township={township}" if township and self.rng.random() < 0.7 else ""
        self.client.get(f"/network/gaps/{query}", name="gaps page")

    def site_list(self) -> None:
        self.client.get("/sites/", name="site list")

    # --- writes ----------------------------------------------------------------------------

    def write(self) -> None:
        kind = self.rng.choice(["edit", "edit", "log", "income"])
        if not self.account[kind]:
            kind = next((k for k in ("edit", "log", "income") if self.account[k]), "")
        if kind == "edit":
            self.edit()
        elif kind:
            self.record(kind)
        else:
            self.asset_list()

    def token(self, kind: str) -> str:
        return f"{RUN} {kind} {self.account['username']} #{next(_tokens)}"

    def post(self, url: str, fields: list[tuple[str, Any]], name: str, kind: str) -> None:
        token = next(v for k, v in fields if k in ("note", "findings", "account"))
        outcome = "error"
        with self.client.post(
            url,
            data=urllib.parse.urlencode(fields),
            headers=FORM,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = (response.headers or {}).get("Location") or ""
            if response.status_code == 302 and "/assets/" in location:
                outcome = "ok"
            elif response.status_code == 400 and "他人已修改" in (response.text or ""):
                outcome = "conflict"  # a stale version, refused: the app must do this
                response.success()
            elif response.status_code:
                response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
        writes.append(
            {"kind": kind, "token": token, "status": response.status_code, "outcome": outcome}
        )
        if outcome == "ok":
            self.client.get(location, name="asset page")  # the browser follows the redirect

    def no_form(self, kind: str, page: Any) -> None:
        """The form or its version was not on the page: a write not even attempted."""
        writes.append({"kind": kind, "token": "", "status": page.status_code, "outcome": "no form"})

    def edit(self) -> None:
        target = self.pick("edit")
        code = target["code"]
        if PLAN["edit_via_form"]:
            page = self.client.get(f"/assets/{code}/edit/", name="asset form page")
        else:
            page = self.client.get(f"/assets/{code}/", name="asset page")
        version, csrf = VERSION.search(page.text or ""), CSRF.search(page.text or "")
        if version is None or csrf is None:
            self.no_form("edit", page)
            return
        fields = [(k, v) for k, v in target["fields"] if k != "note"]
        fields += [
            ("note", self.token("edit")),
            ("version", version.group(1)),
            ("csrfmiddlewaretoken", csrf.group(1)),
        ]
        self.post(f"/assets/{code}/edit/", fields, "asset edit (POST)", "edit")

    def record(self, kind: str) -> None:
        target = self.pick(kind)
        url = f"/assets/{target['code']}/{kind}/"
        page = self.client.get(url, name="record form")
        csrf = CSRF.search(page.text or "")
        if csrf is None:
            self.no_form(kind, page)
            return
        lon, lat = target["lonlat"]
        if kind == "log":
            fields: list[tuple[str, Any]] = [
                ("kind", "inspection"),
                ("performed_on", PLAN["today"]),
                ("result", "normal"),
                ("findings", self.token("log")),
                ("cost", "0"),
                ("latitude", f"{lat:.6f}"),
                ("longitude", f"{lon:.6f}"),
                ("accuracy", "8"),
            ]
            name = "maintenance log (POST)"
        else:
            year = int(PLAN["today"][:4]) - 1
            fields = [
                ("period_start", f"{year}-01-01"),
                ("period_end", f"{year}-12-31"),
                ("gross", "12000.00"),
                ("costs", "2000.00"),
                ("account", self.token("income")),
            ]
            name = "income record (POST)"
        self.post(url, [*fields, ("csrfmiddlewaretoken", csrf.group(1))], name, kind)
