"""A row as read, its problems and the outcome the check decides for it."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from registry.errors import bilingual
from transfer.importers.columns import HEADERS


class RowOutcome(StrEnum):
    """What the check decided for a row."""

    CREATE = "create"  # a new asset
    UPDATE = "update"  # changes an asset the user may edit (by its code)
    UNCHANGED = "unchanged"  # names an asset and changes nothing
    ERROR = "error"  # has problems: the file is not imported
    DUPLICATE = "duplicate"  # new, but like an asset registered: written only if kept
    INCOMPLETE = "incomplete"  # new, lacking a column the whole file lacks (reported once)


class ImportRefused(Exception):
    """The file as a whole cannot be imported; the message is bilingual."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(bilingual(message, **params))


@dataclass(frozen=True)
class Problem:
    row: str
    column: str
    message: str


@dataclass
class Row:
    where: str  # the row's name in messages: "12" (sheet row) or "points.shp:12"
    cells: dict[str, Any]
    geom: Any = None  # shapely geometry in EPSG:4490, or None
    problems: list[Problem] = field(default_factory=list)
    duplicate_of: Any = None  # the registered asset a new row looks like (duplicates.Match)
    unusual_value: Any = None  # an original value to be confirmed (registry.plausibility)

    def problem(self, column: str, message: str, **params: Any) -> None:
        header = HEADERS.get(column, column)
        self.problems.append(Problem(self.where, header, bilingual(message, **params)))
