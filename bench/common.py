"""What the benchmark scripts share: the benchmark database (built once, reused), a gunicorn
served like production (scripts/serve.sh), signing in, percentiles and process memory.

Every script takes ``--assets N --database NAME``: the default is the 1,000,000-asset database
``relief_atlas_bench``; ``make test`` runs each script at a tiny size in a small database of
its own (tests/test_benchmarks.py), so that none of them can rot.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "relief_atlas_bench"
DEFAULT_ASSETS = 1_000_000
# Bounds: nothing a benchmark starts may hang (seconds).
SERVER_START_TIMEOUT = 60
STOP_TIMEOUT = 30


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--assets",
        type=int,
        default=DEFAULT_ASSETS,
        help=f"assets in the benchmark database (default {DEFAULT_ASSETS:,}); loaded if fewer",
    )
    parser.add_argument(
        "--database",
        default=BENCH_DB,
        help=f"name of the benchmark database in the local cluster (default {BENCH_DB})",
    )


def bench_url(database: str = BENCH_DB) -> str:
    """The DATABASE_URL of the local cluster (or the environment's), naming ``database``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise SystemExit(f"not a plain database name: {database!r}")
    url = os.environ.get("DATABASE_URL")
    if not url:
        url = subprocess.check_output(
            ["bash", str(ROOT / "scripts" / "db.sh"), "url"], text=True, timeout=30
        ).strip()
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def use_database(url: str) -> None:
    """Point this process (and the children it starts) at the benchmark database."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def setup_django(url: str) -> None:
    use_database(url)
    import django

    django.setup()


def admin_connection(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    host = urllib.parse.unquote(parts.hostname or "") if parts.hostname else None
    if parts.netloc.split("@")[-1].startswith("%2F"):
        host = urllib.parse.unquote(parts.netloc.split("@")[-1].rsplit(":", 1)[0])
    conn = psycopg2.connect(
        dbname="postgres",
        user=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or "") or None,
        host=host,
        port=parts.port or 5432,
        connect_timeout=10,
    )
    conn.autocommit = True
    return conn


def prepare_database(url: str, assets: int, rebuild: bool = False) -> None:
    """Make sure the benchmark database of ``url`` exists, is migrated and holds the demo
    county and at least ``assets`` synthetic assets (the demo generator's benchmark mode,
    loaded with COPY); an existing database is reused, never dropped unless ``rebuild``."""
    name = database_name(url)
    conn = admin_connection(url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if exists and rebuild:
            cur.execute(f"DROP DATABASE {name} WITH (FORCE)")
            exists = False
        if not exists:
            print(f"creating database {name} ...", flush=True)
            cur.execute(f"CREATE DATABASE {name}")
    conn.close()

    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from gis.tiles import rebuild_cells
    from registry.demo import load_demo_county
    from registry.demo_assets import bulk_load_assets
    from registry.models import AdminArea, Asset

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0)
    if not AdminArea.objects.exists():
        load_demo_county()
    have = Asset.objects.count()
    if have < assets:
        print(f"loading {assets - have:,} synthetic assets with COPY ...", flush=True)
        started = time.perf_counter()
        bulk_load_assets(assets=assets - have, seed=20261126 + have)
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        rebuild_cells()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE atlas_gis_tileversion SET version = version + 1")
            cursor.execute("ANALYZE registry_asset")
            cursor.execute("ANALYZE atlas_gis_assetcell")
        print(f"  tile cells rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"database {name}: {Asset.objects.count():,} assets", flush=True)


def prepare_projects(url: str, projects: int) -> None:
    """Make sure the benchmark database of ``url`` (prepared by ``prepare_database``) holds at
    least ``projects`` synthetic projects of the libraries in every stage, with their funding,
    targets and steps (the demo generator's benchmark mode, loaded with COPY); kept for the
    next runs. After a load the map's project cells are recounted and the tile cache's version
    raised (their triggers were off)."""
    setup_django(url)
    from django.db import connection

    from gis.tiles.projects import rebuild_project_cells
    from registry.demo_projects import bulk_load_projects
    from registry.models import Project

    have = Project.objects.filter(synthetic=True).count()
    if have < projects:
        print(f"loading {projects - have:,} synthetic projects with COPY ...", flush=True)
        started = time.perf_counter()
        bulk_load_projects(projects=projects - have, seed=20261207 + have)
        rebuild_project_cells()  # the map's project cells: their triggers were off
        with connection.cursor() as cursor:
            cursor.execute("UPDATE atlas_gis_tileversion SET version = version + 1")
            for table in ("registry_project", "registry_projectfunding", "registry_projectstep",
                          "registry_performancetarget"):  # fmt: skip
                cursor.execute(f"ANALYZE {table}")
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"database {database_name(url)}: {Project.objects.count():,} projects", flush=True)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(base: str, proc: subprocess.Popen, timeout: float) -> None:  # type: ignore[type-arg]
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} while starting")
        try:
            requests.get(base + "/accounts/login/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    stop_process(proc)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def start_gunicorn(
    url: str,
    cache_dir: str,
    *,
    conn_max_age: str = "60",
    workers: int = 2,
    threads: int = 4,
    access_log: str | None = None,
    extra_env: dict[str, str] | None = None,
    stdout: Any = None,
) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    """gunicorn on a free loopback port, DEBUG off, as scripts/serve.sh runs it in production
    (``workers`` x ``threads`` gthread, 120 s request timeout); the tile cache in ``cache_dir``;
    its output to ``stdout`` (a file) if given."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"),
        "TILE_CACHE_DIR": cache_dir,
        "DB_CONN_MAX_AGE": conn_max_age,
        **(extra_env or {}),
    }
    args = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "120",
        "--graceful-timeout", "10",
        "--log-level", "warning",
    ]  # fmt: skip
    if access_log:
        args += [
            "--access-logfile", access_log,
            # the same format as scripts/serve.sh; %(M)s is the time spent in the worker
            "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        ]  # fmt: skip
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout else None
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base, proc, SERVER_START_TIMEOUT)
    return proc, base


def stop_process(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:  # type: ignore[type-arg]
    """SIGTERM, then SIGKILL after ``timeout`` seconds: only this one process (and what it
    reaps itself, as gunicorn does its workers)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def login(base: str, username: str):  # type: ignore[no-untyped-def]
    """A requests session signed in as a demo account (CSRF token from the login form)."""
    import requests

    from registry.demo import DEMO_PASSWORD

    session = requests.Session()
    session.get(base + "/accounts/login/", timeout=30)
    response = session.post(
        base + "/accounts/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base},
        timeout=30,
    )
    response.raise_for_status()
    return session


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def worker_peak_rss_mb(proc: subprocess.Popen) -> float:  # type: ignore[type-arg]
    """Largest peak RSS among a server's processes (VmHWM), in MB."""
    peaks = []
    for pid in [proc.pid, *children(proc.pid)]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return max(peaks) if peaks else 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (their reaped children not included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / ticks, sum(values) / ticks


def run_child(args: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """A benchmark step in its own process, bounded in time; its stderr is shown on failure."""
    result = subprocess.run(
        args, capture_output=True, text=True, cwd=ROOT, timeout=timeout, **kwargs
    )
    if result.returncode:
        raise SystemExit(f"{' '.join(args[1:])} failed:\n{result.stderr[-3000:]}")
    return result
