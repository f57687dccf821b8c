"""Every benchmark script runs, at a tiny size, so that none of them can rot.

Each script (bench/*.py) runs as `make bench*` runs it, in its own process, on a small
benchmark database of its own (2,000 assets, built by the first script that needs it and kept
for the next runs), and must exit 0 and print its figures. The full-size runs (1,000,000
assets) are `make bench`, `make bench-exports`, `make bench-imports` and `make bench-load`.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ASSETS = "2000"
TIMEOUT = 300  # seconds per script, the first build of the small database included


def smoke_database() -> str:
    """The small benchmark database: named after this checkout's database, so that two
    checkouts (or ATLAS_DBNAME) sharing a cluster do not share it."""
    name = str(settings.DATABASES["default"]["NAME"]).removeprefix("test_")
    return f"{name}_bench_smoke"[:63]


def run_bench(script: str, *args: str) -> str:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--assets", ASSETS,
         "--database", smoke_database(), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"bench/{script} exited {result.returncode}:\n{output[-4000:]}"
    print(f"bench/{script}: {time.monotonic() - started:.1f} s")
    return result.stdout


def test_tiles_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench("tiles.py", "--tiles", "2", "--rounds", "1", "--browser-loads", "1")
    for zoom in (6, 8, 10, 12, 14, 16):
        assert re.search(rf"^\s*{zoom}\s+[\d,]+ \|\s+[\d.]+\s+[\d.]+ \|", out, re.M), out
    assert re.search(r"first asset tiles drawn .*: median \d+ ms", out), out
    assert "largest gunicorn process" in out and "targets: " in out, out


def test_exports_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench("exports.py", "--limit", "300")
    assert re.search(r"^300 assets", out, re.M), out
    for label in ("ogr2ogr -f GPKG, the same ledger SQL", "ours: GeoPackage", "ours: CSV",
                  "COPY ... TO STDOUT", "ours: Excel"):  # fmt: skip
        assert re.search(rf"^{re.escape(label)}\s+[\d.]+\s+\d+\s+[\d.]+$", out, re.M), out
    assert re.search(r"GeoPackage: [\d.]+x ogr2ogr", out), out
    assert re.search(r"CSV: [\d.]+x COPY", out), out


def test_imports_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench("imports.py", "--rows", "200")
    for label in ("read the file only", "check every row", "check and write all or nothing"):
        assert re.search(rf"^{label}.*\s[\d.]+\s+\d+\s+200$", out, re.M), out
    assert re.search(r"commit / read-only: [\d.]+x", out), out
    assert "targets: " in out, out


def test_load_benchmark_runs_at_a_tiny_size() -> None:
    """3 users for 10 s, half their actions writes: every kind of request answered without a
    5xx, every write found once in the database (the script exits 1 otherwise)."""
    out = run_bench(
        "load.py", "--users", "3", "--spawn-rate", "3", "--run-time", "10",
        "--think", "0.5", "1.5", "--write-share", "0.5",
    )  # fmt: skip
    assert re.search(r"^[\d,]+ requests in \d+ s: [\d.]+ req/s", out, re.M), out
    for label in ("login (POST)", "map page", "all pages", "all tiles", "map pan (12 tiles)"):
        assert re.search(rf"^{re.escape(label)}\s+[\d,]+\s+[\d.]+\s+\d+\s+\d+", out, re.M), out
    written = 0
    for label in ("asset edits", "maintenance logs", "income records"):
        row = re.search(rf"^{label}\s+\d+\s+(\d+)\s+\d+\s+0 \|\s+\d+\s+0\s+0\s+0$", out, re.M)
        assert row, out
        written += int(row.group(1))
    assert written > 0, out
    assert re.search(r"^asset versions raised (\d+) times for \1 successful edits", out, re.M)
    assert "targets (" in out, out


def test_pages_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench("pages.py", "--rounds", "1")
    for page in ("/todo/", "/areas/500101000000/", "/assets/", "/gis/imports/"):
        assert re.search(rf"\s{re.escape(page)}\s+200\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert "targets: " in out, out


def test_projects_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench(
        "projects.py", "--projects", "300", "--rounds", "2", "--tiles", "2", "--tile-rounds", "1"
    )
    assert re.search(r"^[\d,]+ assets, [\d,]+ projects", out, re.M), out
    for user in ("planner", "township_manager", "village_clerk"):
        assert re.search(rf"^{user} \(.*\)\n  baseline: asset list query.*\s[\d.]+$", out, re.M), (
            out
        )
    assert len(re.findall(r"library query, all of the above\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+"
                          r"[\d.]+x the asset list", out)) == 3, out  # fmt: skip
    # The project tiles: measured once the map's layer exists, a TODO until then.
    assert re.search(r"^\s*16\s+[\d,]+ \|\s+[\d.]+\s+[\d.]+ \|", out, re.M) or (
        "project tiles: TODO" in out
    ), out
    assert "targets (library list p95" in out, out


def test_network_benchmark_runs_at_a_tiny_size() -> None:
    out = run_bench("network.py", "--counties", "1", "--townships", "4", "--changes", "3")
    assert re.search(r"^synthetic province: 1 counties, 4 townships, 200 groups, [\d,]+ links",
                     out, re.M), out  # fmt: skip
    assert re.search(r"pgr_connectedComponents \([\d,]+ components\)\s+\d+$", out, re.M), out
    assert re.search(r"refresh_all over 4 townships \([\d,]+ places\): [\d.]+ s, [\d.]+x", out), out
    assert re.search(r"the service with its recomputation: p50 \d+ ms, p95 \d+ ms", out), out
    assert re.search(r"^  a county manager \([\d,]+ places\): p50 \d+ ms, p95 \d+ ms$", out, re.M)
    assert re.search(r"^  a superuser, the whole province .*p95 \d+ ms$", out, re.M), out
    assert "targets (whole analysis" in out, out
