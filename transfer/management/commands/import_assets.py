"""Import an asset ledger from the command line (for scheduled jobs and big files).

manage.py import_assets --user manager ledger.xlsx            # check only, print problems
manage.py import_assets --user manager ledger.xlsx --commit   # check, then write all or nothing
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.models import User
from transfer import importers


class Command(BaseCommand):
    help = "Check (and with --commit, import) an asset ledger file as the given user."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username whose rights apply")
        parser.add_argument("--commit", action="store_true", help="write when no row has problems")
        parser.add_argument("--gcj02", action="store_true", help="positions are GCJ-02")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file / 文件不存在")
        try:
            user = User.objects.select_related("area").get(username=options["user"])
        except User.DoesNotExist as exc:
            raise CommandError(f"no user {options['user']} / 没有此用户") from exc
        try:
            if options["commit"]:
                outcome = importers.commit(
                    path, user, gcj02=options["gcj02"], label=f"import_assets {path.name}"
                )
            else:
                outcome = importers.preview(path, user, gcj02=options["gcj02"])
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
            f"rows with problems {outcome.errors}  committed {outcome.committed}"
        )
        for problem in outcome.problems:
            self.stdout.write(f"  {problem.row}\t{problem.column}\t{problem.message}")
