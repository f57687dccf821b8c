"""How a file is to be read: the column mapping, values for the whole file, the money unit, and
the user's decisions on the preview. Stored on an import (transfer.models.AssetImport.mapping and
its decision fields) and handed to preview and commit."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

YUAN = "yuan"
WAN = "wan"  # 万元: ten thousand yuan
VALUE_UNITS = {YUAN: Decimal(1), WAN: Decimal(10000)}

# A mapping that keys every column by its own name (reading a file's columns as they are, for
# the mapping step), rather than by a particular of the register.
IDENTITY: Mapping[str, str] = {"": "*identity*"}


@dataclass(frozen=True)
class ImportOptions:
    """``columns`` maps a file's column (by its name in ``sources.column_names``) to a ledger
    key, "" for a column not imported; None reads the columns by our ledger's headers and their
    other names (our template, our exports, the command line). ``header_row`` is the table's
    header row (1-based) chosen at the mapping step. ``fixed`` holds values for the whole file
    of particulars no column gives (class 公益性, unit 处). ``value_unit`` is the money
    column's unit. ``keep_duplicates`` are the rows (by their name in messages) to register
    although they look like an asset already registered (``keep_all_duplicates``: every such
    row); ``confirm_values`` confirms values below 100 yuan or above 100 million yuan."""

    columns: Mapping[str, str] | None = None
    header_row: int | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    value_unit: str = YUAN
    gcj02: bool = False
    keep_duplicates: frozenset[str] = frozenset()
    keep_all_duplicates: bool = False
    confirm_values: bool = False

    @property
    def identity(self) -> bool:
        return self.columns is IDENTITY

    @property
    def value_factor(self) -> Decimal:
        return VALUE_UNITS.get(self.value_unit, Decimal(1))
