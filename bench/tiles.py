"""Benchmark: map tiles for a county of 1,000,000 assets.

Builds (once) a separate database with the demo county and N synthetic assets (the demo
generator's benchmark mode, loaded with COPY), then measures in the same run:
  1. the tile SQL run directly in this process (gis.tiles, no HTTP, no cache): the baseline;
  2. the tile endpoint over HTTP from gunicorn (2 workers), every tile a cache miss ("cold");
  3. the same tiles again, answered from the tile cache ("warm");
for the busiest tiles at zooms 6, 8, 10, 12, 14 and 16, with tile sizes; and
  4. the time from navigation to the first asset tiles drawn in headless Chromium.
It prints medians, p95 and ratios. Run: make bench   (or: .venv/bin/python bench/tiles.py)
Options: --assets N (default 1,000,000), --database NAME (default relief_atlas_bench),
--tiles K busiest tiles per zoom (default 20), --rounds R (default 3), --browser-loads B
(default 3), --rebuild to load the database again.
Tiny run (make test): --assets 2000 --database relief_atlas_bench_smoke --tiles 2 --rounds 1
--browser-loads 1.
"""

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    add_database_arguments,
    bench_url,
    login,
    percentile,
    prepare_database,
    start_gunicorn,
    stop_process,
    worker_peak_rss_mb,
)

ZOOMS = [6, 8, 10, 12, 14, 16]
TARGET_P95_MS = 150
TARGET_RATIO = 1.3
TARGET_BYTES = 500 * 1024
TARGET_FIRST_TILES_MS = 2000


def busiest_tiles(zoom: int, count: int) -> list[tuple[int, int, int, int]]:
    """(z, x, y, assets) of the tiles with the most assets at ``zoom``."""
    from django.db import connection

    half = 20037508.342789244
    with connection.cursor() as cursor:
        if zoom <= 13:
            cursor.execute(
                """SELECT cx >> 4, cy >> 4, sum(n) FROM atlas_gis_assetcell WHERE z = %s
                   GROUP BY 1, 2 ORDER BY 3 DESC LIMIT %s""",
                [zoom, count],
            )
        else:
            size = 2 * half / (1 << zoom)
            cursor.execute(
                f"""SELECT floor((ST_X(p) + {half}) / {size})::int,
                           floor(({half} - ST_Y(p)) / {size})::int, count(*)
                    FROM (SELECT ST_PointOnSurface(geom_3857) p FROM registry_asset) a
                    GROUP BY 1, 2 ORDER BY 3 DESC LIMIT %s""",
                [count],
            )
        return [(zoom, int(x), int(y), int(n)) for x, y, n in cursor.fetchall()]


def direct_tile(z: int, x: int, y: int, user) -> bytes:  # type: ignore[no-untyped-def]
    """The baseline: the same SQL the endpoint runs, called directly (no HTTP, no cache)."""
    from gis import tiles
    from registry import selectors
    from registry.scoping import scope_prefix

    tile = tiles.TileRequest(z, x, y)
    if z >= tiles.RAW_MIN_ZOOM:
        return tiles.features_tile(tiles.ASSETS, tile, selectors.asset_scope(user=user))
    return tiles.cells_tile(tiles.ASSETS, tile, prefix=scope_prefix(user) or "", filters={})


def first_tiles_ms(base: str, loads: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from registry.demo import DEMO_PASSWORD

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", "planner")
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("form button.primary")
            page.wait_for_selector("body[data-first-tiles-at]", timeout=30_000)
            times.append(float(page.evaluate("document.body.dataset.firstTilesAt")))
            context.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tiles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--browser-loads", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    url = bench_url(args.database)
    prepare_database(url, args.assets, args.rebuild)

    from registry.models import User

    planner = User.objects.select_related("area").get(username="planner")
    tiles_by_zoom = {z: busiest_tiles(z, args.tiles) for z in ZOOMS}
    cache_dir = tempfile.mkdtemp(prefix="atlas-tiles-")
    proc, base = start_gunicorn(url, cache_dir, conn_max_age="600")
    try:
        session = login(base, "planner")
        print(
            f"\n{args.assets:,} assets; busiest {args.tiles} tiles per zoom; {args.rounds} rounds;"
            " times in ms; sizes in KiB (gzip not applied)"
        )
        header = (
            f"{'z':>3} {'most assets':>11} | {'SQL p50':>8} {'p95':>7} | "
            f"{'HTTP cold p50':>13} {'p95':>7} {'ratio p50':>9} | "
            f"{'HTTP warm p50':>13} {'p95':>6} | {'max KiB':>8}"
        )
        print(header)
        print("-" * len(header))
        failures = []
        for z in ZOOMS:
            direct, cold, warm, sizes = [], [], [], []
            for _ in range(args.rounds):
                for tz, x, y, _n in tiles_by_zoom[z]:
                    started = time.perf_counter()
                    data = direct_tile(tz, x, y, planner)
                    direct.append((time.perf_counter() - started) * 1000)
                    sizes.append(len(data))
                shutil.rmtree(cache_dir, ignore_errors=True)  # every HTTP request below misses
                for tz, x, y, _n in tiles_by_zoom[z]:
                    started = time.perf_counter()
                    response = session.get(f"{base}/gis/tiles/assets/{tz}/{x}/{y}.mvt", timeout=60)
                    cold.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                for tz, x, y, _n in tiles_by_zoom[z]:
                    started = time.perf_counter()
                    response = session.get(f"{base}/gis/tiles/assets/{tz}/{x}/{y}.mvt", timeout=60)
                    warm.append((time.perf_counter() - started) * 1000)
            sql50, http50 = statistics.median(direct), statistics.median(cold)
            row = (
                z,
                tiles_by_zoom[z][0][3],
                sql50,
                percentile(direct, 0.95),
                http50,
                percentile(cold, 0.95),
                http50 / sql50 if sql50 else 0,
                statistics.median(warm),
                percentile(warm, 0.95),
                max(sizes) / 1024,
            )
            print(
                f"{row[0]:>3} {row[1]:>11,} | {row[2]:>8.1f} {row[3]:>7.1f} | "
                f"{row[4]:>13.1f} {row[5]:>7.1f} {row[6]:>8.2f}x | "
                f"{row[7]:>13.1f} {row[8]:>6.1f} | {row[9]:>8.1f}"
            )
            if row[5] > TARGET_P95_MS:
                failures.append(f"z{z}: cold HTTP p95 {row[5]:.0f} ms > {TARGET_P95_MS} ms")
            if row[6] > TARGET_RATIO:
                failures.append(f"z{z}: HTTP/SQL p50 ratio {row[6]:.2f} > {TARGET_RATIO}")
            if max(sizes) > TARGET_BYTES:
                failures.append(f"z{z}: a tile of {max(sizes) / 1024:.0f} KiB > 500 KiB")
        first = first_tiles_ms(base, max(1, args.browser_loads))
        print(
            f"\nfirst asset tiles drawn after navigation (Chromium, {len(first)} loads): median "
            f"{statistics.median(first):.0f} ms, max {max(first):.0f} ms"
        )
        if max(first) > TARGET_FIRST_TILES_MS:
            failures.append(f"first tiles after {max(first):.0f} ms > {TARGET_FIRST_TILES_MS} ms")
        own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak RSS: this process {own_rss:.0f} MB, "
            f"largest gunicorn process {worker_peak_rss_mb(proc):.0f} MB"
        )
        print("\ntargets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    finally:
        stop_process(proc)
        shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
