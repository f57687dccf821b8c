"""Backups of the register: the database, the uploaded files and a manifest that proves a restore.

A backup is one directory ``backup-YYYYmmdd-HHMMSS/`` holding ``database.dump`` (``pg_dump``
custom format), ``media.tar`` (everything under MEDIA_ROOT) and ``manifest.json``: when, which
database, which ``pg_dump``, the row count of every table, a SHA-256 of the whole row history
(pghistory) and the SHA-256 of both files. A restore goes only into an empty database, checks the
files against the manifest first, and afterwards recomputes the counts and the history checksum on
the restored database: the register's history is its audit trail, so "restored" must mean
"provably the same", not "pg_restore exited 0".

Connections are built from keyword arguments and argument lists, never from shell strings; to
pg_dump and pg_restore the password travels in ``PGPASSWORD`` only, never on a command line that
``ps`` would show.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg2
import psycopg2.extensions
from django.utils import timezone
from psycopg2 import sql

__all__ = [
    "DUMP_NAME",
    "MANIFEST_NAME",
    "MEDIA_NAME",
    "BackupError",
    "Check",
    "Database",
    "RegisterState",
    "RestoreReport",
    "backup_create",
    "backup_restore",
    "backup_verify_files",
    "both",
    "database_foreign_tables",
    "find_pg_tool",
    "register_state",
]

MANIFEST_FORMAT = 1
DUMP_NAME = "database.dump"
MEDIA_NAME = "media.tar"
MANIFEST_NAME = "manifest.json"

# Django's OPTIONS keys that libpq understands, and the environment variables that carry them
# to pg_dump and pg_restore. Other OPTIONS (isolation_level, pool, ...) are Django's own.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}

# Every value's text form depends on these session settings (timestamps on TimeZone, floats on
# extra_float_digits, ...). Fixing them makes the history checksum the same on any server.
CHECKSUM_SESSION = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)

# Rows are streamed to Python: a history of millions of events does not fit one string_agg.
STREAM_ROWS = 5000


def both(zh: str, en: str, **params: Any) -> str:
    """A message for people, "中文 / English" like registry.errors.bilingual, but with both
    languages written here: these commands run on servers during an incident, and what they
    say must not depend on a compiled translation catalogue being present and current."""
    return f"{zh % params if params else zh} / {en % params if params else en}"


class BackupError(Exception):
    """A backup or restore refused or failed; the message is bilingual and says what to do."""


@dataclass(frozen=True)
class Database:
    """How to reach one PostgreSQL database; HOST may be a socket directory."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    options: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings_dict: Mapping[str, Any]) -> Database:
        """From a Django DATABASES entry (settings.DATABASES["default"])."""
        options = settings_dict.get("OPTIONS") or {}
        return cls(
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
            options={k: str(v) for k, v in options.items() if k in LIBPQ_OPTIONS},
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        """From a DATABASE_URL such as postgis://user@%2Fsocket%2Fdir:5544/name."""
        parsed = dj_database_url.parse(url)
        if not parsed.get("NAME"):
            raise BackupError(
                both(
                    "数据库地址中缺少数据库名：%(url)s",
                    "The database URL names no database: %(url)s",
                    url=url,
                )
            )
        return cls.from_settings(parsed)

    def with_name(self, name: str) -> Database:
        """The same server and role, another database (e.g. ``postgres`` to create one)."""
        return Database(name, self.host, self.port, self.user, self.password, self.options)

    def cli_args(self) -> list[str]:
        """Connection arguments for pg_dump and pg_restore (the password goes in env())."""
        args = ["--no-password"]  # never wait for a password prompt nobody will answer
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return [*args, "--dbname", self.name]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        for key, value in self.options.items():
            env[LIBPQ_OPTIONS[key]] = value
        return env

    def connect(self) -> psycopg2.extensions.connection:
        """A connection of its own, independent of Django's (and of any test transaction)."""
        kwargs: dict[str, str] = {"dbname": self.name, **self.options}
        for key, value in (
            ("host", self.host),
            ("port", self.port),
            ("user", self.user),
            ("password", self.password),
        ):
            if value:
                kwargs[key] = value
        try:
            return psycopg2.connect(**kwargs)
        except psycopg2.OperationalError as exc:
            raise BackupError(
                both(
                    "无法连接数据库 %(name)s：%(error)s",
                    "Cannot connect to the database %(name)s: %(error)s",
                    name=self.name,
                    error=str(exc).strip(),
                )
            ) from exc


# --- the tools -------------------------------------------------------------------------------


def _tool_version(path: Path) -> tuple[tuple[int, ...], str]:
    out = subprocess.run(
        [str(path), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    numbers = tuple(int(n) for n in match.groups() if n) if match else (0,)
    return numbers, out


def find_pg_tool(name: str) -> tuple[Path, str]:
    """The newest ``name`` (pg_dump, pg_restore) on PATH or under /usr/lib/postgresql/*/bin,
    with its ``--version`` line. The newest, because pg_dump refuses a server newer than
    itself, and Debian's /usr/bin wrapper may pick an older one."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    best: tuple[tuple[int, ...], str, Path] | None = None
    for path in candidates:
        try:
            version, line = _tool_version(path)
        except (OSError, subprocess.SubprocessError):
            continue
        if best is None or version > best[0]:
            best = (version, line, path)
    if best is None:
        raise BackupError(
            both(
                "找不到 %(name)s：请安装 PostgreSQL 客户端（postgresql-client）。",
                "%(name)s not found: install the PostgreSQL client (postgresql-client).",
                name=name,
            )
        )
    return best[2], best[1]


def _tool_error(stderr: str) -> str:
    # The first lines name the error; "Command was:" then repeats whole trigger definitions.
    return stderr.strip().split("\nCommand was:")[0][:1500]


# --- what the database holds ----------------------------------------------------------------


@dataclass(frozen=True)
class RegisterState:
    """What a backup promises and a restore must show: rows per table, the history checksum."""

    counts: dict[str, int]
    triggers: list[str]
    history_sha256: str
    history_tables: dict[str, str]


def _public_tables(cursor: Any) -> list[str]:
    # Tables of extensions (PostGIS's spatial_ref_sys) are not the register's data and differ
    # with the PostGIS version; partitions are counted through their parent.
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND NOT EXISTS (
            SELECT 1 FROM pg_depend d
            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relname
        """
    )
    return [row[0] for row in cursor.fetchall()]


def _history_tables(cursor: Any) -> dict[str, str]:
    """pghistory's event tables (they all have pgh_id) and its context table (who, which URL),
    each with the column that orders its rows."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'pgh_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY c.relname
        """
    )
    tables = {row[0]: "pgh_id" for row in cursor.fetchall()}
    cursor.execute("SELECT to_regclass('public.pghistory_context') IS NOT NULL")
    if cursor.fetchone()[0]:
        tables["pghistory_context"] = "id"
    return dict(sorted(tables.items()))


def _table_sha256(connection: Any, table: str, order_by: str) -> str:
    digest = hashlib.sha256()
    # The row's own text form (not row_to_json): geometry then prints as exact hex EWKB
    # instead of GeoJSON rounded to 9 decimals.
    query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY {}").format(
        sql.Identifier(table), sql.Identifier(order_by)
    )
    with connection.cursor(name=f"history_{table}") as rows:
        rows.itersize = STREAM_ROWS
        rows.execute(query)
        for (text,) in rows:
            digest.update(text.encode())
            digest.update(b"\n")
    return digest.hexdigest()


def register_state(connection: Any) -> RegisterState:
    """Row counts of every public table and the history checksum, read inside the connection's
    current transaction (the caller chooses the snapshot)."""
    with connection.cursor() as cursor:
        for statement in CHECKSUM_SESSION:
            cursor.execute(statement)
        counts: dict[str, int] = {}
        for table in _public_tables(cursor):
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = int(cursor.fetchone()[0])
        # The triggers are the history and the delete protection: a register without them
        # would silently stop recording, so their presence is part of what a restore proves.
        cursor.execute(
            """
            SELECT c.relname || '.' || t.tgname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY 1
            """
        )
        triggers = [row[0] for row in cursor.fetchall()]
        history = _history_tables(cursor)
    per_table = {table: _table_sha256(connection, table, key) for table, key in history.items()}
    overall = hashlib.sha256(
        "".join(f"{table} {sha}\n" for table, sha in per_table.items()).encode()
    ).hexdigest()
    return RegisterState(
        counts=counts, triggers=triggers, history_sha256=overall, history_tables=per_table
    )


def database_foreign_tables(connection: Any, limit: int = 10) -> list[str]:
    """Tables, views and sequences that are not an extension's, in any schema: a restore target
    must have none, or pg_restore would mix two registers."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname !~ '^pg_(toast|temp)'
              AND NOT EXISTS (
                SELECT 1 FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY c.relkind = 'S', 1 LIMIT %s
            """,
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]


# --- files -----------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_entries(media_root: Path) -> Iterator[Path]:
    """Directories and regular files under MEDIA_ROOT, in a stable order. Symbolic links and
    special files are left out: they are not uploads, and a restore would refuse them anyway."""
    for directory, dirnames, filenames in os.walk(media_root, followlinks=False):
        dirnames.sort()
        base = Path(directory)
        for name in dirnames:
            if not (base / name).is_symlink():
                yield base / name
        for name in sorted(filenames):
            path = base / name
            if path.is_file() and not path.is_symlink():
                yield path


def _write_media_tar(media_root: Path, target: Path) -> tuple[int, int]:
    """Write the tar; return how many files and bytes it holds (as archived, not as on disk
    a moment later)."""
    files = total = 0
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        if media_root.is_dir():
            for path in _media_entries(media_root):
                info = tar.gettarinfo(path, arcname=path.relative_to(media_root).as_posix())
                if info.isfile():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                    files += 1
                    total += info.size
                else:
                    tar.addfile(info)
    return files, total


# --- backup ----------------------------------------------------------------------------------


def backup_create(
    *,
    database: Database,
    media_root: Path,
    output_dir: Path,
    now: datetime.datetime | None = None,
) -> Path:
    """Write ``output_dir/backup-YYYYmmdd-HHMMSS/`` and return it. The dump, the counts and the
    history checksum come from one snapshot, so the manifest describes exactly the dump even
    while people keep working."""
    now = timezone.localtime(now)
    pg_dump, pg_dump_version = find_pg_tool("pg_dump")
    final = output_dir / f"backup-{now:%Y%m%d-%H%M%S}"
    if final.exists():
        raise BackupError(
            both(
                "备份目录已存在：%(path)s",
                "The backup directory already exists: %(path)s",
                path=final,
            )
        )
    # Written under a temporary name and renamed at the end: a directory named backup-* is
    # always complete. Only the owner may read it: it holds password hashes and personal data.
    output_dir.mkdir(parents=True, exist_ok=True)
    work = output_dir / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        connection = database.connect()
        try:
            connection.set_session(
                isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
            )
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
                snapshot, server_version = cursor.fetchone()
                cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
                postgis = cursor.fetchone()
            dump = work / DUMP_NAME
            # The exported snapshot stays valid while this transaction is open, so pg_dump sees
            # exactly what register_state() counts below.
            result = subprocess.run(
                [
                    str(pg_dump),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    *database.cli_args(),
                ],
                env=database.env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(
                    both(
                        "pg_dump 失败：%(error)s",
                        "pg_dump failed: %(error)s",
                        error=_tool_error(result.stderr),
                    )
                )
            state = register_state(connection)
        finally:
            connection.close()
        # Files after the snapshot: a file is stored before its row commits, so every file the
        # dump refers to is already there (a newer upload is merely an unreferenced extra).
        media = work / MEDIA_NAME
        media_files, media_bytes = _write_media_tar(media_root, media)
        manifest = {
            "format": MANIFEST_FORMAT,
            "created": now.isoformat(timespec="seconds"),
            "database": database.name,
            "server_version": server_version,
            "postgis_version": postgis[0] if postgis else None,
            "pg_dump_version": pg_dump_version,
            "files": {
                DUMP_NAME: {"sha256": _file_sha256(dump), "bytes": dump.stat().st_size},
                MEDIA_NAME: {
                    "sha256": _file_sha256(media),
                    "bytes": media.stat().st_size,
                    "media_files": media_files,
                    "media_bytes": media_bytes,
                },
            },
            "counts": state.counts,
            "triggers": state.triggers,
            "history": {"sha256": state.history_sha256, "tables": state.history_tables},
        }
        (work / MANIFEST_NAME).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for path in work.iterdir():
            path.chmod(0o600)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


# --- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One comparison of the restored register with the manifest."""

    what: str
    expected: Any
    found: Any

    @property
    def ok(self) -> bool:
        return bool(self.expected == self.found)


@dataclass
class RestoreReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def mismatches(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def backup_verify_files(path: Path) -> dict[str, Any]:
    """The manifest of the backup at ``path``, after checking both files against it."""
    manifest_path = path / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            both(
                "%(path)s 不是可读的备份（缺少或无法读取 manifest.json）。",
                "%(path)s is not a readable backup (manifest.json missing or unreadable).",
                path=path,
            )
        ) from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(
            both(
                "不支持的备份格式：%(format)s",
                "Unsupported backup format: %(format)s",
                format=manifest.get("format"),
            )
        )
    for name in (DUMP_NAME, MEDIA_NAME):
        file = path / name
        expected = manifest["files"][name]["sha256"]
        found = _file_sha256(file) if file.is_file() else None
        if found != expected:
            raise BackupError(
                both(
                    "%(name)s 的校验和与清单不符，备份已损坏或被改动，未恢复任何内容。",
                    "The checksum of %(name)s does not match the manifest: the backup is "
                    "damaged or was altered. Nothing was restored.",
                    name=name,
                )
            )
    return manifest


def _media_is_empty(media_root: Path) -> bool:
    return not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def _check_media_members(tar: tarfile.TarFile, media_root: Path) -> list[tarfile.TarInfo]:
    """Every member through tarfile's "data" filter before anything is written: a name or link
    that leads outside MEDIA_ROOT refuses the whole archive, not half of it."""
    members = []
    for member in tar.getmembers():
        try:
            checked = tarfile.data_filter(member, str(media_root))
        except tarfile.FilterError as exc:
            raise BackupError(
                both(
                    "媒体归档中的 %(name)s 指向 MEDIA_ROOT 之外或不安全，未恢复任何内容。",
                    "%(name)s in the media archive leads outside MEDIA_ROOT or is unsafe. "
                    "Nothing was restored.",
                    name=member.name,
                )
            ) from exc
        if checked is not None:
            members.append(checked)
    return members


def backup_restore(
    *,
    path: Path,
    database: Database,
    media_root: Path,
    force_media: bool = False,
) -> RestoreReport:
    """Restore the backup at ``path`` into the empty ``database`` and its files into
    ``media_root``, then compare the result with the manifest. Every refusal happens before
    anything is written."""
    manifest = backup_verify_files(path)
    pg_restore, _ = find_pg_tool("pg_restore")

    connection = database.connect()
    try:
        connection.autocommit = True
        existing = database_foreign_tables(connection)
    finally:
        connection.close()
    if existing:
        raise BackupError(
            both(
                "目标数据库 %(name)s 不是空的（已有 %(tables)s 等），未恢复任何内容。请恢复到新建的"
                "空数据库。",
                "The target database %(name)s is not empty (it has %(tables)s, ...). Nothing was "
                "restored: restore into a newly created, empty database.",
                name=database.name,
                tables=", ".join(existing[:5]),
            )
        )
    if not force_media and not _media_is_empty(media_root):
        raise BackupError(
            both(
                "MEDIA_ROOT（%(path)s）中已有文件，未恢复任何内容。请清空它，或使用 --force-media "
                "覆盖同名文件。",
                "MEDIA_ROOT (%(path)s) already holds files. Nothing was restored: empty it, or "
                "pass --force-media to overwrite files of the same name.",
                path=media_root,
            )
        )
    with tarfile.open(path / MEDIA_NAME) as tar:
        members = _check_media_members(tar, media_root)
        _restore_database(pg_restore, database, path / DUMP_NAME)
        media_root.mkdir(parents=True, exist_ok=True)
        tar.extractall(media_root, members=members, filter="data")

    connection = database.connect()
    try:
        # A dump carries no planner statistics; without them the first tile queries crawl.
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.autocommit = False
        connection.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        state = register_state(connection)
        connection.rollback()
    finally:
        connection.close()
    return _compare(manifest, state, members, media_root)


# Triggers, and the comments pgtrigger puts on them (its definition hashes), which need them.
TRIGGER_ENTRY = re.compile(r"^\d+; \d+ \d+ (TRIGGER|COMMENT \S+ TRIGGER) ")
EMPTY_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);"


def _run_tool(args: list[str], database: Database) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=database.env(), capture_output=True, text=True, check=False)


def _restore_database(pg_restore: Path, database: Database, dump: Path) -> None:
    """pg_restore everything but the triggers in one transaction, then the triggers.

    Why two steps: pg_restore runs with an empty search_path, and a trigger condition
    ``OLD.geom IS DISTINCT FROM NEW.geom`` (pgtrigger/pghistory on geometry columns) cannot be
    schema-qualified, so PostgreSQL cannot find PostGIS's ``=`` and the whole restore fails
    ("operator is not unique: public.geometry = public.geometry"). The triggers are therefore
    created afterwards from pg_restore's own SQL, with the extensions' schemas on the path.
    """
    # Ownership and grants name roles the target server may not have.
    common = [str(pg_restore), "--no-owner", "--no-privileges", "--exit-on-error"]
    listing = _run_tool([str(pg_restore), "--list", str(dump)], database)
    if listing.returncode != 0:
        raise BackupError(
            both(
                "无法读取数据库备份：%(error)s",
                "Cannot read the database dump: %(error)s",
                error=_tool_error(listing.stderr),
            )
        )
    lines = listing.stdout.splitlines(keepends=True)
    with tempfile.TemporaryDirectory(prefix="atlas-restore-") as tmp:
        without_triggers = Path(tmp) / "without-triggers.list"
        without_triggers.write_text(
            "".join(";" + line if TRIGGER_ENTRY.match(line) else line for line in lines)
        )
        only_triggers = Path(tmp) / "triggers.list"
        only_triggers.write_text("".join(line for line in lines if TRIGGER_ENTRY.match(line)))
        # One transaction: if anything fails the target stays empty and can simply be retried.
        result = _run_tool(
            [
                *common,
                "--single-transaction",
                f"--use-list={without_triggers}",
                *database.cli_args(),
                str(dump),
            ],
            database,
        )
        if result.returncode != 0:
            raise BackupError(
                both(
                    "pg_restore 失败，目标数据库未改变：%(error)s",
                    "pg_restore failed; the target database is unchanged: %(error)s",
                    error=_tool_error(result.stderr),
                )
            )
        script = _run_tool(
            [*common, f"--use-list={only_triggers}", "--file=-", str(dump)], database
        )
    try:
        if script.returncode != 0:
            raise BackupError(_tool_error(script.stderr))
        _create_triggers(database, script.stdout)
    except (BackupError, psycopg2.Error) as exc:
        raise BackupError(
            both(
                "数据已恢复，但触发器（行历史、禁止删除）未能创建：%(error)s。该数据库不完整，不可使用："
                "请删除并重新创建它，然后再次恢复。",
                "The data was restored but the triggers (row history, delete protection) could "
                "not be created: %(error)s. This database is incomplete and must not be used: "
                "drop it, create it again and restore again.",
                error=str(exc).strip(),
            )
        ) from exc


def _create_triggers(database: Database, script: str) -> None:
    # The script holds only pg_restore's SET header, comments, psql's \restrict guards and
    # CREATE TRIGGER statements (no data), so dropping those lines cannot touch the register.
    statements = "".join(
        line
        for line in script.splitlines(keepends=True)
        if not line.startswith("\\") and line.strip() != EMPTY_SEARCH_PATH
    )
    connection = database.connect()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT n.nspname FROM pg_extension e "
                "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname <> 'pg_catalog'"
            )
            schemas = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                sql.SQL("SET LOCAL search_path TO {}").format(
                    sql.SQL(", ").join(sql.Identifier(name) for name in ["pg_catalog", *schemas])
                )
            )
            cursor.execute(statements)
    finally:
        connection.close()


def _compare(
    manifest: dict[str, Any],
    state: RegisterState,
    members: list[tarfile.TarInfo],
    media_root: Path,
) -> RestoreReport:
    report = RestoreReport()
    expected_counts: dict[str, int] = manifest["counts"]
    for table in sorted(set(expected_counts) | set(state.counts)):
        report.checks.append(
            Check(f"rows {table}", expected_counts.get(table), state.counts.get(table))
        )
    report.checks.append(Check("triggers", manifest["triggers"], state.triggers))
    history = manifest["history"]["sha256"]
    report.checks.append(Check("history sha256", history, state.history_sha256))
    files = [m for m in members if m.isfile()]
    media = manifest["files"][MEDIA_NAME]
    restored = [
        m
        for m in files
        if (media_root / m.name).is_file() and (media_root / m.name).stat().st_size == m.size
    ]
    report.checks.append(Check("media files", media["media_files"], len(restored)))
    report.checks.append(Check("media bytes", media["media_bytes"], sum(m.size for m in restored)))
    return report
