"""Benchmark: the pages county staff open every day (issue 18), on the 1,000,000-asset database.

On the benchmark database of bench/tiles.py (built if missing), each page is fetched through
Django's test client (no network, no server threads: the time is the view's, its queries' and
its template's), first after the caches are cleared (cold), then three times (warm), for the
user who opens it. The baseline, measured in the same run, is the sign-in page (no query but
the session). Target: every page under 1 s cold (a slow page is a defect).
Run: .venv/bin/python bench/pages.py [--assets N] [--database NAME] [--rounds N]
Tiny run (make test): --assets 2000 --database relief_atlas_bench_smoke --rounds 1.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_database_arguments, bench_url, prepare_database, setup_django

TARGET_SECONDS = 1.0


def pages() -> list[tuple[str, str]]:
    from registry.models import Asset

    code = (
        Asset.objects.filter(area_code__startswith="500101151").values_list("code", flat=True)
    ).first()
    return [
        ("approver", "/todo/"),
        ("township_manager", "/todo/"),
        ("village_clerk", "/todo/"),
        ("planner", "/areas/500101000000/"),
        ("planner", "/areas/500101151000/"),
        ("manager", "/assets/"),
        ("manager", "/assets/?q=LJ-SL-0001"),
        ("manager", f"/assets/{code}/"),
        ("manager", f"/assets/{code}/log/"),
        ("manager", f"/assets/{code}/ownership/"),
        ("manager", "/gis/imports/"),
    ]


def measure(rounds: int) -> list[tuple[str, str, int, float, float]]:
    from django.core.cache import cache
    from django.test import Client

    from registry.models import User

    results = []
    for username, url in [("", "/accounts/login/"), *pages()]:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.get(url)
            warm.append(time.perf_counter() - started)
        results.append((username or "-", url, response.status_code, cold, statistics.median(warm)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # the test client's host name
    prepare_database(bench_url(args.database), args.assets)
    setup_django(bench_url(args.database))
    results = measure(args.rounds)
    baseline = results[0][4] or 1e-9
    print(f"\n{'user':<18}{'page':<40}{'status':>7}{'cold s':>9}{'warm s':>9}{'x sign-in':>11}")
    slow = []
    for user, url, status, cold, warm in results:
        print(f"{user:<18}{url:<40}{status:>7}{cold:>9.3f}{warm:>9.3f}{warm / baseline:>11.1f}")
        if status != 200:
            slow.append(f"{url} answered {status}")
        elif cold > TARGET_SECONDS:
            slow.append(f"{url} {cold:.2f} s cold")
    print("targets: " + ("met" if not slow else "MISSED: " + "; ".join(slow)))
    if any(status != 200 for _u, _p, status, _c, _w in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
