"""The column mapping step: which column of a county's file holds which particular of the
register.

A county's ledger rarely has our template's headers: 项目名称 for 资产名称, ZCMC in a Shapefile,
金额（万元） for the value, 所在村 holding 12-digit codes. ``inspect`` reads a file's own columns
with a sample of their cells; ``guess`` proposes what each holds, from its header (Chinese,
English, the pinyin abbreviations desktop GIS uses) and from its cells, the cells deciding when
the two disagree (a column headed 村 of 12-digit numbers holds area codes, not village names);
the user corrects the guess on the mapping page, which is remembered for the next file with the
same columns (transfer.models.ImportLayout).
"""

import datetime
import hashlib
import json
import re
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from registry.choices import AreaLevel
from registry.ledgers import ASSETS
from registry.models import AdminArea, Asset, NetworkLink, User
from registry.models.areas import short_name
from registry.scoping import scope_prefix
from transfer.importers.cells import DATE_PATTERNS, YEAR_MONTH, _blank, _float
from transfer.importers.columns import HEADER_MAP, READ_ONLY, REQUIRED_FOR_NEW, _norm
from transfer.importers.options import IDENTITY, WAN, YUAN, ImportOptions
from transfer.importers.rows import ImportRefused
from transfer.importers.sources import open_source, read_batches

SAMPLE_ROWS = 200  # rows read to judge a column's cells
SHOWN_SAMPLES = 3

# What a column may be mapped to: the asset ledger's columns an import reads, in its order.
MAPPABLE = [c.key for c in ASSETS.imported]
# Particulars a whole file may be given one value for, when no column holds them.
FIXABLE = ["asset_class", "subtype", "form", "area_code", "unit", "quantity", "formed_on", "booked",
           "network_type", "surface"]  # fmt: skip


@dataclass
class FileColumn:
    """One column of an uploaded file as the mapping page shows it."""

    name: str  # unique within the file (sources.column_names)
    samples: list[str] = field(default_factory=list)
    guess: str = ""  # a ledger key, or "" (not imported)
    reason: str = ""  # "header", "content", "remembered" or ""


@dataclass
class Layout:
    """What the mapping step knows of a file: its columns and the guesses."""

    format: str
    header_row: int
    columns: list[FileColumn]
    signature: str
    value_unit: str = YUAN
    value_unit_reason: str = ""  # "header" or "content"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Layout":
        columns = [FileColumn(**c) for c in data.get("columns", [])]
        return cls(**{**data, "columns": columns})

    def guessed(self) -> dict[str, str]:
        return {c.name: c.guess for c in self.columns}


def signature(names: list[str]) -> str:
    """The same columns in the same order give the same signature: the key of a remembered
    mapping ("the same layout")."""
    text = json.dumps([_norm(n) for n in names], ensure_ascii=False)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def inspect(path: Path, actor: User) -> Layout:
    """Read the file's own columns and a sample of their cells, and guess what each holds."""
    source = open_source(path, options=ImportOptions(columns=IDENTITY))
    samples: dict[str, list[Any]] = {name: [] for name in source.columns}
    rows = 0
    try:
        for batch in read_batches(source):
            for row in batch:
                rows += 1
                for name, value in row.cells.items():
                    if not _blank(value) and name in samples:
                        samples[name].append(value)
                if rows >= SAMPLE_ROWS:
                    break
            if rows >= SAMPLE_ROWS:
                break
    finally:
        source.close()
    if rows == 0:
        raise ImportRefused(gettext_noop("The file holds no rows of assets."))
    names = [n for n in source.columns if samples[n] or not n.startswith("第")]
    columns = [FileColumn(n, _shown(samples[n])) for n in names]
    guesses = guess({n: samples[n] for n in names}, AreaNames.for_user(actor))
    for column in columns:
        column.guess, column.reason = guesses.get(column.name, ("", ""))
    layout = Layout(source.format, source.header_row, columns, signature(names))
    value_column = next((c.name for c in columns if c.guess == "original_value"), None)
    if value_column is not None:
        layout.value_unit, layout.value_unit_reason = guess_value_unit(
            value_column, samples[value_column]
        )
    return layout


def _shown(values: list[Any]) -> list[str]:
    shown: list[str] = []
    for value in values:
        text = _display(value)
        if text not in shown:
            shown.append(text[:60])
        if len(shown) >= SHOWN_SAMPLES:
            break
    return shown


def _display(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- guessing -------------------------------------------------------------------------------------


@dataclass
class AreaNames:
    """The names of the townships and villages in a user's area, to recognise columns that hold
    them."""

    townships: set[str]
    villages: set[str]

    @classmethod
    def for_user(cls, actor: User) -> "AreaNames":
        # Only names the user may see: a guess must not tell them what lies outside their area.
        prefix = scope_prefix(actor) or ""
        rows = AdminArea.objects.filter(code__startswith=prefix).values_list("level", "name")
        townships = {n for level, n in rows if level == AreaLevel.TOWNSHIP}
        villages = {n for level, n in rows if level == AreaLevel.VILLAGE}
        villages |= {short_name(n) for n in villages}
        return cls(townships, villages)


# Headers, by a piece of their text (lower case, no spaces, full-width brackets), the first
# rule that matches wins: more specific pieces come first (区划代码 before 村, 乡镇名称
# before 名称).
HEADER_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("original_code", ("原资产编号", "原编号", "旧编号", "原台账", "台账编号", "原资产编码",
                       "资产编码", "原始编号", "originalcode")),
    ("area_code", ("区划代码", "行政区划", "村代码", "区划编码", "统计用区划", "adcode",
                   "areacode")),
    ("code", ("资产编号", "资产代码", "assetcode")),
    ("beneficiary_exited_households", ("脱贫户",)),
    ("beneficiary_monitored_households", ("监测户", "监测对象")),
    ("beneficiary_households", ("受益户", "带动户", "户数", "households")),
    ("beneficiary_persons", ("受益人", "带动人", "人数", "persons")),
    ("booked", ("入账",)),
    ("subtype", ("子类", "小类", "细类", "资产种类", "具体类型", "明细类", "subtype")),
    ("asset_class", ("资产类别", "资产类型", "资产大类", "类别", "大类", "class", "category")),
    ("form", ("形态",)),
    ("township", ("乡镇", "镇街", "乡（镇）", "街道", "township")),
    ("village", ("行政村", "社区", "所在村", "村名", "村（", "村委", "village")),
    # The network columns (路面宽度 is a width before it is a surface).
    ("network_type", ("网络类型", "线路类型", "管线类型", "管网类型", "networktype")),
    ("grade", ("道路等级", "公路等级", "技术等级", "roadgrade")),
    ("width_m", ("路面宽度", "宽度", "路宽", "width")),
    ("surface", ("路面", "surface")),
    ("lon", ("经度", "longitude")),
    ("lat", ("纬度", "latitude")),
    ("x", ("x坐标", "东坐标", "横坐标")),
    ("y", ("y坐标", "北坐标", "纵坐标")),
    ("original_value", ("原值", "金额", "投资", "价值", "资金", "造价", "账面", "value", "amount",
                        "cost")),
    ("quantity", ("数量", "规模", "quantity", "qty")),
    ("unit", ("计量单位", "unit")),
    ("formed_on", ("形成日期", "形成时间", "建成", "竣工", "完工", "日期", "时间", "年份",
                   "年度", "date", "year")),
    ("address", ("地址", "位置", "地点", "坐落", "address", "location")),
    ("name", ("资产名称", "项目名称", "名称", "资产名", "项目名", "name")),
]  # fmt: skip
# Whole headers: the pinyin abbreviations of Chinese desktop GIS (10-character DBF names) and
# short words that would match too much as pieces.
HEADER_WORDS: dict[str, str] = {
    "村": "village", "镇": "township", "乡": "township", "单位": "unit", "x": "x", "y": "y",
    "lon": "lon", "lng": "lon", "lat": "lat", "zcmc": "name", "xmmc": "name", "mc": "name",
    "zcbh": "code", "bh": "code", "zclb": "asset_class", "lb": "asset_class", "zczl": "subtype",
    "zl": "subtype", "xz": "township", "xzmc": "township", "szxz": "township", "cun": "village",
    "cmc": "village", "szc": "village", "cm": "village", "xzqdm": "area_code", "qhdm": "area_code",
    "yz": "original_value", "zcyz": "original_value", "je": "original_value",
    "tzje": "original_value", "sl": "quantity", "dw": "unit", "jldw": "unit",
    "jcrq": "formed_on", "jcsj": "formed_on", "wcrq": "formed_on", "xcrq": "formed_on",
    "rq": "formed_on", "nf": "formed_on", "syhs": "beneficiary_households",
    "syrs": "beneficiary_persons", "tphs": "beneficiary_exited_households",
    "jchs": "beneficiary_monitored_households", "sfrz": "booked", "dz": "address",
    "jd": "lon", "wd": "lat",
}  # fmt: skip
# "管护单位" is who keeps an asset, not its unit of measure.
NOT_UNIT = ("管护", "所有", "建设", "实施", "责任", "主管", "使用", "产权", "权属", "名称")


def header_guess(name: str) -> str | None:
    """What a header says its column holds: our ledger's own names first, then the rules."""
    text = _norm(name)
    text = re.sub(r"\s*\(\d+\)$", "", text)  # "名称 (2)": a header met twice
    if not text or (text.startswith("第") and text.endswith("列")):
        return None
    key = HEADER_MAP.get(text)
    if key is not None and key not in READ_ONLY:
        return key
    if text in HEADER_WORDS:
        return HEADER_WORDS[text]
    if "单位" in text and not any(word in text for word in NOT_UNIT):
        return "unit"
    for key, pieces in HEADER_RULES:
        if any(piece in text for piece in pieces):
            return key
    return None


UNIT_WORDS = {
    "座", "个", "处", "公里", "千米", "km", "米", "m", "头", "只", "套", "台", "亩", "平方米", "㎡",
    "m2", "千瓦", "kw", "户", "口", "株", "棵", "间", "条", "眼", "项", "辆", "栋", "幢", "根",
    "块", "组", "宗", "份", "股", "立方米", "m3", "吨", "箱", "羽", "匹", "窝", "盏", "部",
}  # fmt: skip
SPECIFIC = {"area_code", "code", "asset_class", "subtype", "form", "township", "village",
            "booked", "lon", "lat", "formed_on", "unit"}  # fmt: skip
NUMERIC_KEYS = {"original_value", "quantity", "beneficiary_households", "beneficiary_persons",
                "beneficiary_exited_households", "beneficiary_monitored_households",
                "width_m"}  # fmt: skip


def _choice_words(key: str) -> set[str]:
    from transfer.importers.cells import _choice_lookup

    return set(_choice_lookup(key))


def content_kind(values: list[Any], areas: AreaNames) -> str | None:
    """What the cells of a column are: a ledger key they can only be (area_code for 12-digit
    codes, township for township names ...), "number", "identifier", "text", or None."""
    if not values:
        return None
    texts = [_display(v) for v in values]
    n = len(texts)

    def share(test: Any) -> float:
        return sum(1 for t in texts if test(t)) / n

    if share(lambda t: re.fullmatch(r"\d{12}", t)) >= 0.8:
        return "area_code"
    if share(lambda t: re.fullmatch(r"\d{16}", t)) >= 0.8:
        return "code"
    for key in ("asset_class", "subtype", "form"):
        words = _choice_words(key)
        if share(lambda t, w=words: t.lower() in w) >= 0.8:
            return key
    if share(lambda t: t in areas.townships) >= 0.8:
        return "township"
    if share(lambda t: t in areas.villages) >= 0.8:
        return "village"
    if share(lambda t: t.lower() in {"是", "否", "yes", "no", "√", "×"}) >= 0.8:
        return "booked"
    dates = sum(1 for v in values if isinstance(v, (datetime.date, datetime.datetime)))
    if dates / n >= 0.8 or share(lambda t: any(p.match(t) for p in DATE_PATTERNS)) >= 0.8:
        return "formed_on"
    numbers = [f for f in (_float(v) for v in values) if f is not None]
    if len(numbers) / n >= 0.9:
        whole = all(float(f).is_integer() for f in numbers)
        if whole and all(1990 <= f <= 2100 for f in numbers):
            return "formed_on"  # years: 建成年份
        # Degrees are written to metres (4+ decimals); 12.5 in a value column is not a latitude.
        precise = sum(1 for f in numbers if _decimals(f) >= 4) / len(numbers) >= 0.8
        if precise and all(73 <= f <= 136 for f in numbers):
            return "lon"
        if precise and all(3 <= f <= 54 for f in numbers):
            return "lat"
        if all(1_000_000 <= f < 10_000_000 for f in numbers):
            return "y"  # Gauss-Kruger northings have 7 digits
        if all(100_000 <= f < 1_000_000 or 13_000_000 <= f < 46_000_000 for f in numbers):
            return "x"  # eastings: 6 digits, or 8 with the zone in front
        return "number"
    if share(lambda t: YEAR_MONTH.fullmatch(t) is not None) >= 0.8:
        return "formed_on"
    if share(lambda t: t.lower() in UNIT_WORDS) >= 0.8:
        return "unit"
    if share(lambda t: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-/.]*\d[A-Za-z0-9_\-/.]*", t)) >= 0.8:
        return "identifier"
    return "text"


def _decimals(number: float) -> int:
    text = repr(float(number))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def guess(samples: dict[str, list[Any]], areas: AreaNames) -> dict[str, tuple[str, str]]:
    """For each column, the ledger key it most likely holds and why ("header" or "content"),
    each key given to one column at most."""
    proposals: list[tuple[int, int, str, str, str]] = []  # (strength, order, name, key, why)
    for order, (name, values) in enumerate(samples.items()):
        header = header_guess(name)
        kind = content_kind(values, areas)
        key, why, strength = _decide(header, kind)
        if key:
            proposals.append((strength, -order, name, key, why))
    chosen: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    for _strength, _order, name, key, why in sorted(proposals, reverse=True):
        if key not in taken:
            chosen[name] = (key, why)
            taken.add(key)
    # Projected coordinates look like any large number (a value of 230,000 yuan has the
    # digits of an easting): taken as X/Y only as a pair, one column of 7-digit northings and
    # one of eastings, in a file without longitude and latitude.
    if not taken & {"lon", "lat", "x", "y"}:
        kinds = {
            name: content_kind(values, areas)
            for name, values in samples.items()
            if name not in chosen
        }
        xs = [n for n, k in kinds.items() if k == "x"]
        ys = [n for n, k in kinds.items() if k == "y"]
        if len(xs) == 1 and len(ys) == 1:
            chosen[xs[0]], chosen[ys[0]] = ("x", "content"), ("y", "content")
            taken |= {"x", "y"}
    # 建成年份 is the date formed of a ledger that has no other (a column of years), and the
    # year built of its roads and pipes when another column gives the date formed.
    if "built_year" not in taken:
        for name in samples:
            if name not in chosen and header_guess(name) == "built_year":
                chosen[name] = ("built_year", "header")
                taken.add("built_year")
                break
    if "name" not in taken:  # the text column with the most different values names the assets
        best = max(
            (
                (len(set(map(str, values))), name)
                for name, values in samples.items()
                if name not in chosen and content_kind(values, areas) == "text"
            ),
            default=None,
        )
        if best is not None:
            chosen[best[1]] = ("name", "content")
    return chosen


def _decide(header: str | None, kind: str | None) -> tuple[str, str, int]:
    """Header and cells together: (key, why, strength); the cells win when they can only be
    one thing, the header when they are plain numbers or text."""
    if kind in SPECIFIC:
        if header == kind:
            return kind, "header", 3
        if kind == "formed_on" and header is not None and header in NUMERIC_KEYS:
            return header, "header", 1  # a count between 1990 and 2100 is still a count
        if kind == "unit" and header is not None and header != "unit":
            return header, "header", 1
        return kind, "content", 2
    if kind == "identifier":
        if header is None or header in ("code", "original_code"):
            return ("original_code", "content" if header is None else "header", 2)
        return header, "header", 1
    if kind in ("number", "x", "y"):
        if header is not None and (header in NUMERIC_KEYS or header in ("lon", "lat", "x", "y")):
            return header, "header", 2
        return (header or "", "header" if header else "", 1)
    if kind == "text" and header == "code":
        return "original_code", "header", 2  # the county's own numbers under 资产编号
    if header:
        return header, "header", 1
    return "", "", 0


def guess_value_unit(name: str, values: list[Any]) -> tuple[str, str]:
    """Yuan or 万元: what the header says, else what the numbers suggest (a register whose every
    value is under 10,000 and most under 1,000 is kept in 万元)."""
    text = _norm(name)
    if "万元" in text or "（万）" in text or text.endswith("万"):
        return WAN, "header"
    if "元" in text or "yuan" in text:
        return YUAN, "header"
    numbers = [f for f in (_float(v) for v in values) if f is not None and f > 0]
    if numbers and max(numbers) < 10_000 and statistics.median(numbers) < 1_000:
        return WAN, "content"
    return YUAN, "content"


def recognised(layout: Layout) -> bool:
    """A file with our own headers (the template, an export of ours) needs no mapping step:
    each column is named as the ledger names it and its cells agree (资产编号 holding 16-digit
    codes, not the county's own numbers), the money unit is not a guess from the numbers, and
    those columns give a new asset all it needs (or the asset code, for a file that changes
    registered assets)."""
    keys: set[str] = set()
    for column in layout.columns:
        named = header_guess(column.name) if HEADER_MAP.get(_norm(column.name)) else None
        if named is None:
            continue
        if column.guess and column.guess != named:
            return False  # the cells say otherwise: let the user see it
        keys.add(named)
    guessed_wan = layout.value_unit_reason == "content" and layout.value_unit != YUAN
    if "original_value" in keys and guessed_wan:
        return False
    if "code" in keys:
        return True
    required = set(REQUIRED_FOR_NEW) | {"original_value"}
    return required <= keys and bool(keys & {"area_code", "township", "village"})


def field_label(key: str) -> str:
    """A ledger key as the mapping page names it: the ledger's Chinese header, with the
    particular's name in the interface's language beside it under the English interface."""
    column = next(c for c in ASSETS.columns if c.key == key)
    if translation.get_language() in (None, "zh-hans"):
        return column.header
    return f"{column.header} ({PLACE_LABELS.get(key) or _verbose(key)})"


# Ledger columns that are not fields of an asset, named for the English interface.
PLACE_LABELS = {
    "township": gettext_lazy("township"),
    "village": gettext_lazy("village"),
    "lon": gettext_lazy("longitude"),
    "lat": gettext_lazy("latitude"),
    "x": gettext_lazy("X (Gauss-Kruger)"),
    "y": gettext_lazy("Y (Gauss-Kruger)"),
}


def _verbose(key: str) -> str:
    for model in (Asset, NetworkLink):  # the network columns are its network attributes'
        try:
            return str(getattr(model._meta.get_field(key), "verbose_name", key))
        except FieldDoesNotExist:
            continue
    return key
