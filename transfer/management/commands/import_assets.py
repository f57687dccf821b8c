"""Import an asset ledger from the command line (for scheduled jobs and big files).

manage.py import_assets --user manager ledger.xlsx            # check only, print problems
manage.py import_assets --user manager ledger.xlsx --commit   # check, then write all or nothing

The file's columns are read by our ledger's headers and their other names (the template, our
exports); a county's own layout is mapped on the import page. Likely duplicates of registered
assets are skipped unless --keep-duplicates; values under 100 or over 100 million yuan need
--confirm-values.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.models import User
from transfer import importers
from transfer.importers.options import WAN, YUAN, ImportOptions


class Command(BaseCommand):
    help = "Check (and with --commit, import) an asset ledger file as the given user."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username whose rights apply")
        parser.add_argument("--commit", action="store_true", help="write when no row has problems")
        parser.add_argument("--gcj02", action="store_true", help="positions are GCJ-02")
        parser.add_argument(
            "--value-unit", choices=[YUAN, WAN], default=YUAN, help="unit of the value column"
        )
        parser.add_argument(
            "--keep-duplicates", action="store_true", help="register likely duplicates too"
        )
        parser.add_argument(
            "--confirm-values", action="store_true", help="accept values under 100 or over 1e8"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file / 文件不存在")
        try:
            user = User.objects.select_related("area").get(username=options["user"])
        except User.DoesNotExist as exc:
            raise CommandError(f"no user {options['user']} / 没有此用户") from exc
        read = ImportOptions(
            gcj02=options["gcj02"],
            value_unit=options["value_unit"],
            keep_all_duplicates=options["keep_duplicates"],
            confirm_values=options["confirm_values"],
        )
        try:
            if options["commit"]:
                outcome = importers.commit(
                    path, user, options=read, label=f"import_assets {path.name}"
                )
            else:
                outcome = importers.preview(path, user, options=read)
        except importers.Rejected as exc:
            self._report(exc.outcome)
            raise CommandError("有问题行，未导入 / rows have problems: nothing imported") from exc
        except importers.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        self._report(outcome)

    def _report(self, outcome: importers.Outcome) -> None:
        self.stdout.write(
            f"format {outcome.format}  crs {outcome.crs or '-'}  rows {outcome.rows}  "
            f"create {outcome.create}  update {outcome.update}  unchanged {outcome.unchanged}  "
            f"rows with problems {outcome.errors}  likely duplicates {outcome.duplicates}"
            f" (kept {outcome.kept})  unusual values {outcome.unusual}"
            f"  committed {outcome.committed}"
        )
        if outcome.missing:
            self.stdout.write(
                f"  missing for new assets / 新资产缺少: {'、'.join(outcome.missing)}"
            )
        for row in outcome.duplicate_rows:
            self.stdout.write(f"  {row['row']}\tlike / 疑似重复 {row['code']}\t{row['name']}")
        for row in outcome.unusual_rows:
            self.stdout.write(f"  {row['row']}\tvalue / 数值待确认 {row['value']}\t{row['name']}")
        for problem in outcome.problems:
            self.stdout.write(f"  {problem.row}\t{problem.column}\t{problem.message}")
