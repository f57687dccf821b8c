"""Benchmark: importing a 100,000-row Excel ledger into the 1,000,000-asset database.

On the benchmark database of bench/tiles.py (built if missing), in one run:
  1. writes a ledger of N new assets (default 100,000) in the template's layout, spread over
     the county's villages, with a position each;
  2. reads the file alone (python-calamine, every cell): the floor any import pays;
  3. checks it (preview: every rule, nothing written);
  4. checks and writes it (commit: all or nothing, history and map-cell triggers included)
     inside an outer transaction that is then rolled back, so the benchmark database stays
     as it was (only the final COMMIT of a real import is not measured);
each step in its own child process, so that its peak memory (max RSS) is its own.
Run: make bench-imports   (or: .venv/bin/python bench/imports.py [--rows N])
Options: --assets N, --database NAME (see bench/common.py), --rows N.
Tiny run (make test): --assets 2000 --database relief_atlas_bench_smoke --rows 200.
"""

import argparse
import datetime
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_database_arguments, bench_url, prepare_database, run_child, setup_django

TARGET_SECONDS = 60
TARGET_MB = 1024
STEP_TIMEOUT = 1800  # seconds


def write_ledger(path: Path, rows: int) -> None:
    import xlsxwriter

    from registry.models import AdminArea
    from transfer.importers import HEADERS
    from transfer.views.imports import TEMPLATE_COLUMNS

    villages = list(
        AdminArea.objects.filter(level="village", point__isnull=False).values_list("code", "point")
    )
    subtypes = [("公益性", "道路", "公里"), ("经营性", "村级光伏电站", "座"),
                ("到户类", "牲畜和种苗", "头"), ("公益性", "供水饮水", "处")]  # fmt: skip
    keys = [key for key, _ in TEMPLATE_COLUMNS]
    rng = random.Random(20261126)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("资产台账")
    sheet.write_row(0, 0, [HEADERS[k] for k in keys])
    for i in range(rows):
        code, point = villages[i % len(villages)]
        cls, subtype, unit = subtypes[i % len(subtypes)]
        households = rng.randint(0, 80)
        values = {
            "name": f"导入测试资产{i:06d}",
            "asset_class": cls,
            "subtype": subtype,
            "area_code": code,
            "original_value": round(rng.uniform(1_000, 2_000_000), 2),
            "quantity": rng.randint(1, 50),
            "unit": unit,
            "formed_on": datetime.date(
                rng.randint(2016, 2025), rng.randint(1, 12), rng.randint(1, 28)
            ).isoformat(),
            "beneficiary_households": households,
            "beneficiary_persons": households * 3,
            "beneficiary_exited_households": households // 3,
            "booked": "是" if i % 3 else "否",
            "lon": point.x + rng.uniform(-0.002, 0.002),
            "lat": point.y + rng.uniform(-0.002, 0.002),
        }
        sheet.write_row(i + 1, 0, [values.get(k, "") for k in keys])
    book.close()


def step(name: str, database: str, path: str) -> None:
    """One measured step, run in this (child) process; prints a JSON line."""
    setup_django(bench_url(database))
    from django.db import transaction

    from registry.models import User
    from transfer import importers

    manager = User.objects.select_related("area").get(username="manager")
    started = time.perf_counter()
    result: dict = {}
    if name == "read":
        source = importers.open_source(Path(path))
        rows = sum(len(batch) for batch in source.batches())
        result = {"rows": rows}
    elif name == "preview":
        outcome = importers.preview(Path(path), manager)
        result = {"rows": outcome.rows, "create": outcome.create, "errors": outcome.errors}
    elif name == "commit":
        with transaction.atomic():
            outcome = importers.commit(Path(path), manager, label="bench")
            result = {"rows": outcome.rows, "create": outcome.create, "errors": outcome.errors}
            transaction.set_rollback(True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": name, "seconds": seconds, "peak_mb": peak, **result}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        step(args.step, args.database, args.file)
        return
    prepare_database(bench_url(args.database), args.assets)
    vacuum()
    folder = Path(tempfile.mkdtemp(prefix="atlas-bench-import-"))
    try:
        results = measure(folder / "ledger.xlsx", args.rows, args.database)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(results, args.rows)


def vacuum() -> None:
    """Every run writes 100,000 rows and rolls them back: their dead index entries and the
    map cells' dead row versions would make each run slower than the last (66 s, then 87 s
    for the same commit). Vacuum first, so that runs measure the same database."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("registry_asset", "registry_assetevent", "atlas_gis_assetcell"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"vacuumed in {time.perf_counter() - started:.0f} s", flush=True)


def measure(path: Path, rows: int, database: str) -> dict[str, dict]:
    started = time.perf_counter()
    write_ledger(path, rows)
    print(
        f"ledger of {rows:,} rows written in {time.perf_counter() - started:.1f} s "
        f"({path.stat().st_size / 1e6:.1f} MB)",
        flush=True,
    )
    results = {}
    for name in ("read", "preview", "commit"):
        args = [sys.executable, __file__, "--step", name, "--file", str(path)]
        out = run_child([*args, "--database", database], STEP_TIMEOUT).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def report(results: dict[str, dict], rows: int) -> None:
    print(f"\n{'step':<44} {'seconds':>8} {'peak MB':>8}  rows")
    labels = {
        "read": "read the file only (calamine, the floor)",
        "preview": "check every row (preview, nothing written)",
        "commit": "check and write all or nothing (commit)",
    }
    for name, label in labels.items():
        r = results[name]
        print(f"{label:<44} {r['seconds']:8.1f} {r['peak_mb']:8.0f}  {r['rows']:,}")
    commit = results["commit"]
    print(f"\ncommit / read-only: {commit['seconds'] / results['read']['seconds']:.1f}x")
    assert commit["errors"] == 0 and commit["create"] == rows, commit
    missed = []
    if commit["seconds"] > TARGET_SECONDS:
        missed.append(f"commit {commit['seconds']:.0f} s > {TARGET_SECONDS} s")
    peak = max(r["peak_mb"] for r in results.values())
    if peak > TARGET_MB:
        missed.append(f"peak {peak:.0f} MB > {TARGET_MB} MB")
    print("targets: " + ("met" if not missed else "MISSED: " + "; ".join(missed)))


if __name__ == "__main__":
    main()
