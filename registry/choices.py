"""Controlled vocabularies of the registry (stored values are English, labels translated)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AreaLevel(models.TextChoices):
    """Level of an administrative area in the county > township > village > group tree."""

    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")
    GROUP = "group", _("Village group")


class AreaKind(models.TextChoices):
    """The statistical kind of an area, as the NBS code table names it."""

    DISTRICT = "district", _("District / county")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    ETHNIC_TOWNSHIP = "ethnic_township", _("Ethnic township")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    VILLAGERS_COMMITTEE = "villagers_committee", _("Villagers' committee")
    VILLAGE_GROUP = "village_group", _("Village group")


class Role(models.TextChoices):
    """What a user may do; where they may do it is their area (registry.scoping)."""

    PLANNER = "planner", _("Planner (read)")
    MANAGER = "manager", _("Asset manager (edit)")
    APPROVER = "approver", _("Approver")
    AUDITOR = "auditor", _("Auditor (read, export, history)")
    ADMIN = "admin", _("Administrator")


class AssetClass(models.TextChoices):
    """The three national classes of project assets (国办函〔2021〕51号)."""

    OPERATING = "operating", _("Operating")
    PUBLIC = "public", _("Public-welfare")
    HOUSEHOLD = "household", _("Household")


# The digit each class takes in an asset code: county(6) + year(4) + class(1) + serial(5).
ASSET_CLASS_DIGIT: dict[str, str] = {
    AssetClass.OPERATING: "1",
    AssetClass.PUBLIC: "2",
    AssetClass.HOUSEHOLD: "3",
}


class AssetSubtype(models.TextChoices):
    """Typical sub-types seen in provincial and county rules (DOMAIN.md 1.2)."""

    # operating
    INDUSTRY_BASE = "industry_base", _("Crop, orchard or livestock base")
    PROCESSING = "processing", _("Processing facility")
    TOURISM = "tourism", _("Tourism service facility")
    ECOMMERCE = "ecommerce", _("E-commerce service facility")
    PV_STATION = "pv_station", _("Village PV station")
    WORKSHOP = "workshop", _("Assistance workshop")
    GREENHOUSE = "greenhouse", _("Greenhouse")
    COLD_STORAGE = "cold_storage", _("Cold storage")
    MACHINERY = "machinery", _("Machinery and farm equipment")
    EQUITY = "equity", _("Equity or credit stake")
    # public-welfare
    ROAD = "road", _("Road")
    BRIDGE = "bridge", _("Bridge")
    IRRIGATION = "irrigation", _("Irrigation works")
    WATER_SUPPLY = "water_supply", _("Drinking-water supply")
    POWER = "power", _("Power facility")
    SANITATION = "sanitation", _("Sanitation (toilets, sewage, refuse)")
    PUBLIC_SERVICE = "public_service", _("Clinic, school, culture or sports facility")
    VILLAGE_HALL = "village_hall", _("Village activity centre")
    NETWORK = "network", _("Service and network facility")
    WATERSHED = "watershed", _("Small-watershed works")
    RELOCATION_FACILITY = "relocation_facility", _("Relocation-site facility")
    # household
    LIVESTOCK = "livestock", _("Livestock and seedlings")
    PERENNIAL = "perennial", _("Fruit trees and perennials")
    HOUSEHOLD_PV = "household_pv", _("Household PV")
    RELOCATION_HOUSING = "relocation_housing", _("Relocation housing")
    HOUSE_RENOVATION = "house_renovation", _("Dilapidated-house renovation")
    TOILET = "toilet", _("Household toilet")
    HOUSEHOLD_WATER = "household_water", _("Household water connection")


SUBTYPES_BY_CLASS: dict[str, list[str]] = {
    AssetClass.OPERATING: [
        AssetSubtype.INDUSTRY_BASE,
        AssetSubtype.PROCESSING,
        AssetSubtype.TOURISM,
        AssetSubtype.ECOMMERCE,
        AssetSubtype.PV_STATION,
        AssetSubtype.WORKSHOP,
        AssetSubtype.GREENHOUSE,
        AssetSubtype.COLD_STORAGE,
        AssetSubtype.MACHINERY,
        AssetSubtype.EQUITY,
    ],
    AssetClass.PUBLIC: [
        AssetSubtype.ROAD,
        AssetSubtype.BRIDGE,
        AssetSubtype.IRRIGATION,
        AssetSubtype.WATER_SUPPLY,
        AssetSubtype.POWER,
        AssetSubtype.SANITATION,
        AssetSubtype.PUBLIC_SERVICE,
        AssetSubtype.VILLAGE_HALL,
        AssetSubtype.NETWORK,
        AssetSubtype.WATERSHED,
        AssetSubtype.RELOCATION_FACILITY,
    ],
    AssetClass.HOUSEHOLD: [
        AssetSubtype.LIVESTOCK,
        AssetSubtype.PERENNIAL,
        AssetSubtype.HOUSEHOLD_PV,
        AssetSubtype.RELOCATION_HOUSING,
        AssetSubtype.HOUSE_RENOVATION,
        AssetSubtype.TOILET,
        AssetSubtype.HOUSEHOLD_WATER,
    ],
}


class AssetForm(models.TextChoices):
    FIXED = "fixed", _("Fixed asset")
    BIOLOGICAL = "biological", _("Biological asset")
    EQUITY = "equity", _("Equity or credit")
    INTANGIBLE = "intangible", _("Intangible asset")


class FundEra(models.TextChoices):
    """扶贫项目资产 (formed before 2021) or 帮扶项目资产 (2021 on, bridging funds)."""

    POVERTY_ALLEVIATION = "alleviation", _("Poverty-alleviation (before 2021)")
    ASSISTANCE = "assistance", _("Assistance (2021 on)")


class AssetStatus(models.TextChoices):
    """Asset lifecycle (DOMAIN.md 3.1)."""

    DRAFT = "draft", _("Being registered")
    REGISTERED = "registered", _("Registered")
    CONFIRMED = "confirmed", _("Ownership confirmed")
    HANDED_OVER = "handed_over", _("Handed over")
    IN_USE = "in_use", _("In use")
    IDLE = "idle", _("Idle or under-used")
    DAMAGED = "damaged", _("Needs repair or damaged")
    CONSUMED = "consumed", _("Consumed or sold (household)")
    DISPOSAL_PENDING = "disposal_pending", _("Disposal requested")
    DISPOSED = "disposed", _("Disposed")


ACTIVE_STATUSES = frozenset(
    {
        AssetStatus.REGISTERED,
        AssetStatus.CONFIRMED,
        AssetStatus.HANDED_OVER,
        AssetStatus.IN_USE,
        AssetStatus.IDLE,
        AssetStatus.DAMAGED,
    }
)


class BenefitLink(models.TextChoices):
    """联农带农 (benefit-link) mechanisms."""

    EMPLOYMENT = "employment", _("Employment")
    DIVIDEND = "dividend", _("Dividends")
    LAND_TRANSFER = "land_transfer", _("Land transfer rent")
    ORDER_PURCHASE = "order_purchase", _("Order purchasing")
    WELFARE_POSTS = "welfare_posts", _("Public-welfare posts")
    ASSET_INCOME = "asset_income", _("Asset income")


class PartyKind(models.TextChoices):
    DEPARTMENT = "department", _("Government department")
    TOWNSHIP_GOVERNMENT = "township_government", _("Township government")
    VILLAGE_COLLECTIVE = "village_collective", _("Village collective economic organisation")
    ENTERPRISE = "enterprise", _("Enterprise")
    COOPERATIVE = "cooperative", _("Cooperative")
    HOUSEHOLD = "household", _("Household")


class OwnershipKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Confirmation")
    TRANSFER = "transfer", _("Transfer (handover)")


class OperatingMode(models.TextChoices):
    SELF_RUN = "self_run", _("Self-run")
    ENTRUSTED = "entrusted", _("Entrusted")
    LEASE = "lease", _("Lease")
    EQUITY = "equity", _("Equity participation")
    CONTRACT = "contract", _("Contracting")


class MaintenanceKind(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    REPAIR = "repair", _("Repair")
    UPKEEP = "upkeep", _("Upkeep")


class InspectionResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    NEEDS_REPAIR = "needs_repair", _("Needs repair")
    DAMAGED = "damaged", _("Damaged")


class AllocationUse(models.TextChoices):
    WELFARE_POSTS = "welfare_posts", _("Public-welfare posts")
    PUBLIC_WORKS = "public_works", _("Small public works")
    REWARDS = "rewards", _("Rewards and subsidies")
    UPKEEP = "upkeep", _("Operation and upkeep")
    RETAINED = "retained", _("Retained for development")
    HOUSEHOLDS = "households", _("Paid to households")


class PlanStatus(models.TextChoices):
    """Income distribution approval chain: village resolution, township review, county filing."""

    DRAFT = "draft", _("Draft")
    VILLAGE_RESOLVED = "village_resolved", _("Resolved by the village")
    TOWNSHIP_REVIEWED = "township_reviewed", _("Reviewed by the township")
    COUNTY_FILED = "county_filed", _("Filed with the county")
    REJECTED = "rejected", _("Sent back")


class DisposalReason(models.TextChoices):
    DISASTER = "disaster", _("Natural-disaster damage")
    PLANNING = "planning", _("Demolition or planning change")
    END_OF_LIFE = "end_of_life", _("End of service life or obsolete")
    POOR_RETURNS = "poor_returns", _("Poor returns or idle")
    AGREEMENT_EXPIRED = "agreement_expired", _("Equity agreement expired")
    NEW_PROJECT = "new_project", _("Covered by a new project")
    ACCIDENT = "accident", _("Accident")
    OTHER = "other", _("Other")


class DisposalMethod(models.TextChoices):
    AUCTION = "auction", _("Auction")
    TRANSFER = "transfer", _("Transfer")
    CHANGE_OF_USE = "change_of_use", _("Change of use")
    SUSPENSION = "suspension", _("Suspension")
    WRITE_OFF = "write_off", _("Write-off as loss")
    SCRAP = "scrap", _("Scrapping")


class DisposalStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    COMPLETED = "completed", _("Completed")


class ApprovalLevel(models.TextChoices):
    VILLAGE = "village", _("Village")
    TOWNSHIP = "township", _("Township")
    COUNTY = "county", _("County")


class NoticeSubject(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance duties")
    DISTRIBUTION = "distribution", _("Income distribution")
    OWNERSHIP = "ownership", _("Ownership")
    DISPOSAL = "disposal", _("Disposal")


class NoticeChannel(models.TextChoices):
    VILLAGE_BOARD = "village_board", _("Village notice board")
    TOWNSHIP_BOARD = "township_board", _("Township notice board")
    COUNTY_WEBSITE = "county_website", _("County government website")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SCAN = "scan", _("Scanned document")
    CONTRACT = "contract", _("Contract")
    MINUTES = "minutes", _("Meeting minutes")


# --- the project libraries (一库一单) ------------------------------------------------------------


class NeedCategory(models.TextChoices):
    """What a village's construction need is about (乡村建设任务, DOMAIN.md 4.3)."""

    RURAL_ROAD = "rural_road", _("Rural road")
    VILLAGE_ROAD = "village_road", _("Road inside the village")
    WATER = "water", _("Water supply and drainage")
    POWER = "power", _("Reliable power supply")
    GAS = "gas", _("Gas supply")
    LOGISTICS = "logistics", _("Delivery and logistics")
    TELECOM = "telecom", _("Communication network")
    SANITATION = "sanitation", _("Waste, sewage and toilets")
    VILLAGE_LOOK = "village_look", _("Village appearance")
    CARE = "care", _("Childcare, elderly care and health")
    INDUSTRY = "industry", _("Industry")
    OTHER = "other", _("Other")


class MeetingKind(models.TextChoices):
    """The village meeting that decides its needs."""

    COMMITTEES = "committees", _("Meeting of the two village committees")
    REPRESENTATIVES = "representatives", _("Villagers' representatives assembly")
    ASSEMBLY = "assembly", _("Villagers' assembly")


class NeedStatus(models.TextChoices):
    """A construction need: decided by the village, posted, sent to the township, reviewed."""

    DRAFT = "draft", _("Being drafted")
    POSTED = "posted", _("Posted in the village")
    SUBMITTED = "submitted", _("Sent to the township")
    ACCEPTED = "accepted", _("Accepted by the township")
    MERGED = "merged", _("Merged into a project")
    REJECTED = "rejected", _("Not accepted")


class ProjectCategory(models.TextChoices):
    """Library categories (国乡振发〔2021〕3号, DOMAIN.md 4.1)."""

    INDUSTRY = "industry", _("Industry development")
    EMPLOYMENT = "employment", _("Employment")
    CONSTRUCTION = "construction", _("Rural construction")
    RELOCATION = "relocation", _("Follow-up support for relocation")
    GUARANTEES = "guarantees", _("Consolidating the three guarantees")
    OTHER = "other", _("Other")


class ProjectNature(models.TextChoices):
    NEW = "new", _("New construction")
    EXPANSION = "expansion", _("Reconstruction or expansion")


class ProjectStatus(models.TextChoices):
    """A project's life: 申报 -> 乡审核 -> 县论证 -> 县审定入库 -> 年度计划 -> 实施 -> 完工 ->
    验收 -> 资产移交 -> 绩效评价 -> 归档; or 未通过 (refused at review) and 出库 (withdrawn)."""

    PROPOSED = "proposed", pgettext_lazy("project status", "Proposed")
    TOWNSHIP_REVIEWED = "township_reviewed", _("Reviewed by the township")
    APPRAISED = "appraised", _("Appraised by the county")
    IN_LIBRARY = "in_library", _("In the library")
    PLANNED = "planned", _("In the year's plan")
    IN_PROGRESS = "in_progress", _("Being built")
    COMPLETED = "completed", pgettext_lazy("project status", "Completed")
    ACCEPTED = "accepted", _("Accepted")
    HANDED_OVER = "handed_over", _("Assets handed over")
    EVALUATED = "evaluated", _("Performance evaluated")
    ARCHIVED = "archived", _("Archived")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn from the library")


class ProjectStepKind(models.TextChoices):
    """What a recorded step of a project did."""

    PROPOSE = "propose", pgettext_lazy("project step", "Proposed")
    TOWNSHIP_REVIEW = "township_review", _("Township review")
    COUNTY_APPRAISE = "county_appraise", _("County appraisal")
    APPROVE = "approve", _("Approved into the library")
    PLAN = "plan", _("Put in the year's plan")
    START = "start", _("Tendered and started")
    COMPLETE = "complete", pgettext_lazy("project step", "Completed")
    ACCEPT = "accept", _("Accepted")
    HAND_OVER = "hand_over", _("Assets handed over")
    EVALUATE = "evaluate", _("Performance evaluated")
    ARCHIVE = "archive", _("Archived")
    REJECT = "reject", _("Not approved")
    ADJUST = "adjust", _("Adjusted")
    WITHDRAW = "withdraw", _("Withdrawn")
    CARRY_OVER = "carry_over", _("Carried over to the next year")


class TargetKind(models.TextChoices):
    """Performance targets (绩效目标)."""

    OUTPUT = "output", _("Output")
    BENEFIT = "benefit", _("Benefit")
    SATISFACTION = "satisfaction", _("Satisfaction")


class FundUseKind(models.TextChoices):
    """A use of bridging funds: on the positive list (支出方向) or the negative list (不得用于)."""

    POSITIVE = "positive", _("Allowed direction")
    NEGATIVE = "negative", _("Not allowed")


class SiteType(models.TextChoices):
    """How a relocation site houses the people it moved (安置方式, DOMAIN.md 5.2): five kinds
    of concentrated site (集中安置) and three of dispersed placement (分散安置)."""

    COUNTY_TOWN = "county_town", _("Concentrated: county town or city")
    MARKET_TOWN = "market_town", _("Concentrated: market town")
    CENTRAL_VILLAGE = "central_village", _("Concentrated: central village")
    INDUSTRIAL_PARK = "industrial_park", _("Concentrated: industrial park")
    TOURISM_AREA = "tourism_area", _("Concentrated: tourism area")
    SCATTERED = "scattered", _("Dispersed: scattered among villages")
    BOUGHT_IN_TOWN = "bought_in_town", _("Dispersed: bought housing in town")
    WITH_RELATIVES = "with_relatives", _("Dispersed: with relatives or friends")


DISPERSED_SITE_TYPES = frozenset(
    {SiteType.SCATTERED, SiteType.BOUGHT_IN_TOWN, SiteType.WITH_RELATIVES}
)


class SiteMode(models.TextChoices):
    CONCENTRATED = "concentrated", _("Concentrated")
    DISPERSED = "dispersed", _("Dispersed")


class SiteScale(models.TextChoices):
    """Scale bands by persons moved (DOMAIN.md 5.2; 800 from the Ningxia large-site rule)."""

    UNDER_100 = "lt100", _("Under 100 persons")
    FROM_100 = "100_799", _("100-799 persons")
    FROM_800 = "800_2999", _("800-2,999 persons")
    FROM_3000 = "3000_9999", _("3,000-9,999 persons")
    FROM_10000 = "ge10000", _("10,000 persons or more")


class ReclamationStatus(models.TextChoices):
    """Demolition of the old houses and reclamation of their land (拆旧复垦)."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class FacilityRole(models.TextChoices):
    """What an asset is to a relocation site (DOMAIN.md 5.3)."""

    HOUSING = "housing", _("Resettlement housing")
    FACILITY = "facility", _("Supporting facility")
    INDUSTRY = "industry", _("Industry or employment")


class ProblemCategory(models.TextChoices):
    """Residents' urgent problems (急难愁盼) as follow-up support sorts them."""

    EMPLOYMENT = "employment", _("Employment and income")
    EDUCATION = "education", _("Schooling")
    HEALTH = "health", _("Medical care")
    HOUSING = "housing", _("Housing quality")
    UTILITIES = "utilities", _("Water, power and roads")
    COMMUNITY = "community", _("Community services and governance")
    OTHER = "other", _("Other")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Network(models.TextChoices):
    """The networks whose links the register keeps (DESIGN.md 2, infrastructure links)."""

    ROAD = "road", _("Roads")
    WATER = "water", _("Piped water")
    POWER = "power", _("Power")
    TELECOM = "telecom", _("Telecommunications")
    LOGISTICS = "logistics", _("Delivery and logistics")


class NetworkType(models.TextChoices):
    """What a network element is. Every type but the water source is a line; a water source
    (水源/水厂) is a point where piped water enters the network."""

    COUNTY_ROAD = "county_road", _("County road")
    TOWNSHIP_ROAD = "township_road", _("Township road")
    VILLAGE_ROAD = "village_road", _("Village road")
    GROUP_ROAD = "group_road", _("Road to a village group")
    INDUSTRY_ROAD = "industry_road", _("Industry road")
    WATER_MAIN = "water_main", _("Water main")
    WATER_BRANCH = "water_branch", _("Water branch pipe")
    WATER_SOURCE = "water_source", _("Water source or works")
    POWER_LINE = "power_line", _("Power line")
    TELECOM_LINE = "telecom_line", _("Telecom line")
    LOGISTICS_ROUTE = "logistics_route", _("Delivery route")


NETWORK_OF_TYPE: dict[str, str] = {
    NetworkType.COUNTY_ROAD: Network.ROAD,
    NetworkType.TOWNSHIP_ROAD: Network.ROAD,
    NetworkType.VILLAGE_ROAD: Network.ROAD,
    NetworkType.GROUP_ROAD: Network.ROAD,
    NetworkType.INDUSTRY_ROAD: Network.ROAD,
    NetworkType.WATER_MAIN: Network.WATER,
    NetworkType.WATER_BRANCH: Network.WATER,
    NetworkType.WATER_SOURCE: Network.WATER,
    NetworkType.POWER_LINE: Network.POWER,
    NetworkType.TELECOM_LINE: Network.TELECOM,
    NetworkType.LOGISTICS_ROUTE: Network.LOGISTICS,
}


class RoadGrade(models.TextChoices):
    """Technical grade of a rural road (公路技术等级)."""

    GRADE_2 = "grade_2", _("Class II highway")
    GRADE_3 = "grade_3", _("Class III highway")
    GRADE_4 = "grade_4", _("Class IV highway")
    SUBSTANDARD = "substandard", _("Below class IV")


class Surface(models.TextChoices):
    """A road's surface. Asphalt, concrete and paved stone count as hardened (硬化路)."""

    ASPHALT = "asphalt", _("Asphalt")
    CONCRETE = "concrete", _("Cement concrete")
    STONE = "stone", _("Paved stone")
    GRAVEL = "gravel", _("Gravel")
    EARTH = "earth", _("Earth")


HARDENED_SURFACES = frozenset({Surface.ASPHALT, Surface.CONCRETE, Surface.STONE})


class RoadReach(models.TextChoices):
    """How a village group or relocation site reaches its township seat by road."""

    HARDENED = "hardened", _("Hardened road all the way")
    UNHARDENED = "unhardened", _("Only over unhardened road")
    NONE = "none", _("No road reaches it")


class PlaceKind(models.TextChoices):
    """The places the network serves, as the gap analysis lists them."""

    GROUP = "group", _("Village group")
    SITE = "site", _("Relocation site")
