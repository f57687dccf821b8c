"""National default reference data: fund sources and disposal approval tiers.

Local policy is configuration: a province or county edits these rows (admin), not the code.
"""

from decimal import Decimal

from django.db import migrations

FUND_SOURCES = [
    ("central_bridging", "中央衔接推进乡村振兴补助资金"),
    ("provincial", "省级财政资金"),
    ("municipal", "市级财政资金"),
    ("county", "县级财政资金"),
    ("integrated", "统筹整合财政涉农资金"),
    ("sector", "行业扶贫资金"),
    ("local_bonds", "地方政府债券"),
    ("east_west", "东西部协作资金"),
    ("designated", "定点帮扶资金"),
    ("donations", "社会捐赠"),
    ("self_raised", "群众自筹"),
    ("other", "其他"),
]

# From a book value of ... yuan, approval is needed up to this level (examples in DOMAIN.md 3.6;
# no national threshold exists).
DISPOSAL_TIERS = [(Decimal("0"), "township"), (Decimal("500000"), "county")]


def load(apps, schema_editor):
    FundSource = apps.get_model("registry", "FundSource")
    DisposalTier = apps.get_model("registry", "DisposalTier")
    for order, (code, name) in enumerate(FUND_SOURCES, start=1):
        FundSource.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
    for min_value, level in DISPOSAL_TIERS:
        DisposalTier.objects.get_or_create(min_value=min_value, defaults={"level": level})


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_asset_register")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
