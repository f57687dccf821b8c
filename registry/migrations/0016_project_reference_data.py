"""National defaults for the project libraries: which fund sources are bridging funds, and the
positive and negative lists of bridging-fund uses (docs/project-libraries.md, "Fund rules").

Local policy is configuration: a province adds its own rows (province_code, years) in the
admin. The positive directions are those a county restated from the national guidance (sourced);
the negative list is the one of 财农〔2021〕19号 as commonly cited, not found in our corpus:
marked unverified until someone checks it against the text.
"""

from django.db import migrations

POSITIVE = [
    ("monitoring", "防止返贫动态监测和帮扶"),
    ("household_production", "到户产业发展（种苗、场地、设施设备、田间基础设施）及生产补助"),
    ("microcredit", "小额信贷贴息"),
    ("training", "技能培训"),
    ("welfare_posts", "公益性岗位补贴"),
    ("relocation_support", "易地搬迁后续扶持（安置点配套、社区“一站式”服务设施）"),
    ("migrant_transport", "跨省务工一次性交通补助"),
    ("work_relief", "就业帮扶车间、以工代赈、劳务补助"),
    ("employer_rewards", "带动脱贫人口就业的经营主体奖补"),
    ("yulu", "雨露计划"),
    ("specialty_industry", "特色产业全产业链发展"),
    ("collective_economy", "新型农村集体经济发展"),
    ("small_infrastructure", "小型公益性基础设施（水、电、路、网、垃圾收运）"),
    ("special_groups", "少数民族村寨、国有农林场、残疾人帮扶"),
]
NEGATIVE = [
    ("basic_expenses", "单位基本支出、交通工具及通讯设备"),
    ("office_buildings", "修建楼堂馆所及党政机关办公用房"),
    ("enterprise_losses", "弥补企业亏损"),
    ("guarantee_funds", "企业担保金"),
    ("large_construction", "大中型基本建设项目"),
    ("urban", "城市基础设施建设和城市产业发展"),
    ("debt_repayment", "偿还债务"),
]
POSITIVE_BASIS = "衔接资金支出方向（达州市转述，dazhou.gov.cn/xxgk-show-36568.html）"
NEGATIVE_BASIS = "《中央财政衔接推进乡村振兴补助资金管理办法》（财农〔2021〕19号），待核对原文"


def load(apps, schema_editor):
    FundSource = apps.get_model("registry", "FundSource")
    FundUse = apps.get_model("registry", "FundUse")
    FundSource.objects.filter(code="central_bridging").update(bridging=True, central=True)
    for kind, rows, basis, verified in (
        ("positive", POSITIVE, POSITIVE_BASIS, True),
        ("negative", NEGATIVE, NEGATIVE_BASIS, False),
    ):
        for order, (code, name) in enumerate(rows, start=1):
            FundUse.objects.get_or_create(
                code=code,
                province_code="",
                year_from=2021,
                defaults={"name": name, "kind": kind, "basis": basis, "verified": verified,
                          "sort_order": order},
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("registry", "0015_project_libraries")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
