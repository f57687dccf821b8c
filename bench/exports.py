"""Benchmark: exports of the asset register against GDAL's and PostgreSQL's own tools.

On the benchmark database of bench/tiles.py (1,000,000 assets; built if missing), measures in
one run, for the same query (the auditor's whole-county asset list, all ledger columns):
  - GeoPackage: our exporter vs `ogr2ogr -f GPKG` reading the same SQL (the ledger, labels
    computed by PostgreSQL) from PostgreSQL, and, for reference, ogr2ogr reading the stored
    columns without labels (a cheaper query);
  - CSV: our exporter vs PostgreSQL `COPY (same SQL) TO STDOUT`;
  - Excel: our exporter (xlsxwriter, constant memory) alone, against the 3-minute target;
each in a child process so that its peak memory (max RSS) is its own.
Run: make bench-exports   (or: .venv/bin/python bench/exports.py [--limit N])
Options: --assets N, --database NAME (see bench/common.py), --limit N (only the first N assets).
Tiny run (make test): --assets 2000 --database relief_atlas_bench_smoke --limit 500.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_database_arguments, bench_url, prepare_database, run_child, setup_django

STEP_TIMEOUT = 1800  # seconds; Excel of 1M rows takes about 3 minutes


def ledger_queryset(database: str, limit: int | None):  # type: ignore[no-untyped-def]
    setup_django(bench_url(database))
    from registry import selectors
    from registry.models import User

    auditor = User.objects.select_related("area").get(username="auditor")
    qs = selectors.asset_list(user=auditor).order_by("code")
    if limit:
        codes = qs.values_list("code", flat=True)[limit - 1 : limit]
        last = list(codes)
        if last:
            qs = qs.filter(code__lte=last[0])
    return qs


def ogr2ogr(sql: str, out: str) -> None:
    from django.db import connection

    settings = connection.settings_dict
    pg = (
        f"PG:dbname={settings['NAME']} host={settings['HOST']} port={settings['PORT']}"
        f" user={settings['USER']}"
    )
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", out, pg, "-sql", sql, "-nln", "assets"],
        check=True,
        capture_output=True,
        timeout=STEP_TIMEOUT,
    )


def child(fmt: str, database: str, limit: int | None, out: str) -> None:
    """Run one export in this (child) process and print its figures as JSON."""
    qs = ledger_queryset(database, limit)
    from django.db import connection

    from transfer import exporters

    started = time.perf_counter()
    if fmt in ("gpkg", "csv", "xlsx"):
        path = exporters.export(qs, fmt, meta={"user": "bench", "time": "", "filters": ""})
        size = path.stat().st_size
    elif fmt == "ogr2ogr":
        # The baseline: GDAL's own tool reading the same SQL as our export (the
        # ledger with labels computed by PostgreSQL), geometry as geometry.
        sql, params = exporters.labelled(qs, geometry="raw").query.sql_with_params()
        with connection.cursor() as cursor:
            inner = cursor.mogrify(sql, params).decode()
        names = ", ".join(f'x_{c.key} AS "{c.key}"' for c in exporters.COLUMNS)
        ogr2ogr(f"SELECT {names}, x_wkb AS geometry FROM ({inner}) AS ledger", out)
        size = Path(out).stat().st_size
    elif fmt in ("ogr2ogr-raw", "copy"):
        # References: the stored values without labels (a cheaper query than the ledger's).
        from transfer.exporters import COLUMNS

        # Each column's stored value: its field, or the field path it reads (the network
        # attributes live on a related row); computed columns are left out.
        fields = [
            c.key if c.value is None else c.value
            for c in COLUMNS
            if c.key not in {"township", "village"}
            and (c.value is None or isinstance(c.value, str))
        ]
        inner_qs = qs.values(*fields, "area__name")
        sql, params = inner_qs.query.sql_with_params()
        with connection.cursor() as cursor:
            sql = cursor.mogrify(sql, params).decode()
        if fmt == "copy":
            with connection.cursor() as cursor, open(out, "w", encoding="utf-8") as fh:
                cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH CSV HEADER", fh)
        else:
            sql = sql.replace(
                'SELECT "registry_asset"."code"',
                'SELECT "registry_asset"."geom", "registry_asset"."code"',
                1,
            )
            ogr2ogr(sql, out)
        size = Path(out).stat().st_size
    else:
        raise SystemExit(fmt)
    seconds = time.perf_counter() - started
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "fmt": fmt,
                "rows": qs.count(),
                "seconds": seconds,
                "peak_mb": max(peak_self, peak_children),
                "bytes": size,
            }
        )
    )


def run(fmt: str, database: str, limit: int | None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / f"out.{fmt}")
        args = [sys.executable, __file__, "--child", fmt, "--out", out, "--database", database]
        if limit:
            args += ["--limit", str(limit)]
        result = run_child(args, STEP_TIMEOUT)
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--limit", type=int, default=None, help="only the first N assets")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database, args.limit, args.out)
        return
    prepare_database(bench_url(args.database), args.assets)
    formats = ("ogr2ogr", "ogr2ogr-raw", "gpkg", "copy", "csv", "xlsx")
    results = {fmt: run(fmt, args.database, args.limit) for fmt in formats}
    rows = results["gpkg"]["rows"]
    print(f"\n{rows:,} assets (auditor, whole county, all ledger columns)")
    print(f"{'export':<36} {'seconds':>8} {'peak MB':>8} {'MiB':>8}")
    names = {
        "ogr2ogr": "ogr2ogr -f GPKG, the same ledger SQL",
        "ogr2ogr-raw": "ogr2ogr -f GPKG, raw columns (ref.)",
        "gpkg": "ours: GeoPackage",
        "copy": "COPY ... TO STDOUT",
        "csv": "ours: CSV",
        "xlsx": "ours: Excel",
    }
    for key, r in results.items():
        mib = r["bytes"] / 2**20
        print(f"{names[key]:<36} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f} {mib:>8.1f}")
    seconds = {k: r["seconds"] for k, r in results.items()}
    peak = max(results[k]["peak_mb"] for k in ("gpkg", "csv", "xlsx"))
    print(
        f"\nGeoPackage: {seconds['gpkg'] / seconds['ogr2ogr']:.2f}x ogr2ogr on the same SQL"
        f" (target <= 1.0x); {seconds['gpkg'] / seconds['ogr2ogr-raw']:.2f}x ogr2ogr on the"
        " raw columns"
    )
    print(f"CSV: {seconds['csv'] / seconds['copy']:.2f}x COPY (target <= 5x)")
    print(f"Excel: {seconds['xlsx']:.0f} s (target < 180 s at 1M)")
    print(f"peak memory of our exports: {peak:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
