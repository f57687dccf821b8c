"""Registering and changing many assets at once (ledger imports).

The same rules as one-by-one registration (``registry.services.assets``), written the way a
hundred thousand rows can be: new assets with COPY, changes with one UPDATE per batch. The
database triggers record history (with the caller's pghistory context) and keep the map cells
in step exactly as for single writes. The caller owns the transaction: build the writer inside
it, hand it batches, and a failure anywhere undoes them all.
"""

import datetime
import io
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop
from psycopg2.extras import execute_values

from registry.errors import ValidationError, bilingual, denied
from registry.models import AdminArea, Asset, User
from registry.scoping import can_edit
from registry.services.assets import CodeAllocator, fund_era_for, initial_status

# The particulars a bulk write sets (status, owners, keepers have their own workflows).
BULK_FIELDS = [
    "name", "asset_class", "subtype", "form", "original_value", "quantity", "unit",
    "formed_on", "area_id", "beneficiary_households", "beneficiary_persons",
    "beneficiary_exited_households", "beneficiary_monitored_households", "booked", "address",
    "original_code",
]  # fmt: skip
_SQL_TYPES = {
    "original_value": "numeric", "quantity": "numeric", "formed_on": "date",
    "beneficiary_households": "integer", "beneficiary_persons": "integer",
    "beneficiary_exited_households": "integer", "beneficiary_monitored_households": "integer",
    "booked": "boolean",
}  # fmt: skip


class AssetBulkWriter:
    """Writes checked rows for ``actor``. Rows are dicts of BULK_FIELDS (updates add ``id``)
    with a geometry as EWKB hex (new) or WKB bytes (changes), or None."""

    def __init__(self, actor: User) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("AssetBulkWriter writes inside the caller's transaction")
        self.actor = actor
        self.status = initial_status(actor)
        self.codes = CodeAllocator()
        self.areas = {a.id: a for a in AdminArea.objects.only("id", "code", "county_code")}
        with connection.cursor() as cursor:
            # Check foreign keys as rows are written, not at COMMIT: Django's constraints are
            # deferred, and PostgreSQL's queue of deferred checks (one per asset and per
            # history row) made a 100,000-row import slower batch after batch.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _area(self, values: dict[str, Any]) -> AdminArea:
        area = self.areas[values["area_id"]]
        if not can_edit(self.actor, area.code):
            raise denied()
        return area

    def _attach_history_context(self) -> None:
        # COPY and execute_values go around Django's cursor, where pghistory attaches the
        # context (user, import) that the history triggers record; one statement through it
        # sets that context for the rest of the transaction.
        with connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN END $$")

    def register(self, rows: list[tuple[dict[str, Any], str | None]]) -> list[str]:
        """New assets: an unsaved model instance supplies every default once, each row
        overrides what it states; codes are allocated per county, year and class. Returns
        the codes given, in the rows' order."""
        if not rows:
            return []
        self._attach_history_context()
        now = timezone.now()
        concrete = [
            f
            for f in Asset._meta.concrete_fields
            if not f.primary_key and not f.generated and f.name != "geom"
        ]
        fields = [f.attname for f in concrete]
        template = Asset(status=self.status, created_at=now, updated_at=now)
        defaults = {name: _copy_value(getattr(template, name)) for name in fields}
        stated = [k for k in BULK_FIELDS if k in defaults]
        buffer = io.StringIO()
        codes: list[str] = []
        for values, ewkb_hex in rows:
            area = self._area(values)
            line = dict(defaults)
            for name in stated:
                value = values.get(name)
                if value is not None:
                    line[name] = _copy_value(value)
            line["code"] = self.codes.code(
                area.county_code, values["formed_on"].year, values["asset_class"]
            )
            line["fund_era"] = fund_era_for(values["formed_on"])
            line["area_code"], line["county_code"] = area.code, area.county_code
            codes.append(line["code"])
            buffer.write("\t".join([*line.values(), ewkb_hex or "\\N"]) + "\n")
        buffer.seek(0)
        columns = [str(f.column) for f in concrete] + ["geom"]
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {Asset._meta.db_table} ({', '.join(columns)}) FROM STDIN", buffer
            )
        return codes

    def change(self, rows: list[tuple[dict[str, Any], bytes | None]]) -> None:
        """Changed particulars of existing assets (never disposed ones), version raised."""
        if not rows:
            return
        self._attach_history_context()
        columns = [k for k in BULK_FIELDS if k != "area_id"]
        values_list = []
        for values, wkb in rows:
            area = self._area(values)
            values_list.append(
                (values["id"], *(values.get(k) for k in columns), area.id, area.code,
                 area.county_code, fund_era_for(values["formed_on"]), wkb)
            )  # fmt: skip
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
        casts = ", ".join(
            ["id::bigint"]
            + [f'"{c}"::{_SQL_TYPES.get(c, "text")}' for c in columns]
            + ["area_id::bigint", "area_code::text", "county_code::text", "fund_era::text",
               "wkb::bytea"]
        )  # fmt: skip
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f"""
            UPDATE {Asset._meta.db_table} AS a SET {assignments}, area_id = s.area_id,
                area_code = s.area_code, county_code = s.county_code, fund_era = s.fund_era,
                geom = COALESCE(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4490), a.geom),
                version = a.version + 1, updated_at = now()
            FROM (SELECT {casts} FROM (VALUES %s) AS v(id, {names}, area_id,
                  area_code, county_code, fund_era, wkb)) AS s
            WHERE a.id = s.id AND a.status <> 'disposed'
            RETURNING a.id
        """
        with connection.cursor() as cursor:
            changed = execute_values(cursor.cursor, sql, values_list, page_size=1000, fetch=True)
        if len(changed) != len(rows):
            raise ValidationError(bilingual(gettext_noop("A disposed asset cannot be changed.")))


def _copy_value(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
