"""Registry models, one module per sub-domain, re-exported here."""

from registry.models.areas import AdminArea, Waterway
from registry.models.assets import Asset, AssetFunding, FundSource
from registry.models.attachments import Attachment
from registry.models.disposal import DisposalApproval, DisposalRequest, DisposalTier
from registry.models.income import DistributionLine, DistributionPlan, IncomeRecord
from registry.models.maintenance import MaintenanceDuty, MaintenanceLog
from registry.models.network import NetworkLink
from registry.models.notices import PublicNotice
from registry.models.ownership import Handover, OperationContract, OwnershipRecord, OwnershipShare
from registry.models.parties import Party
from registry.models.projects import (
    ConstructionNeed,
    FundUse,
    PerformanceTarget,
    Project,
    ProjectFile,
    ProjectFunding,
    ProjectStep,
    TaskListItem,
)
from registry.models.reviews import PlanReturn, RegistrationReturn
from registry.models.sites import (
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteProject,
    SiteSupport,
)
from registry.models.submissions import FormSubmission
from registry.models.users import User

__all__ = [
    "AdminArea",
    "Asset",
    "AssetFunding",
    "Attachment",
    "ConstructionNeed",
    "DisposalApproval",
    "DisposalRequest",
    "DisposalTier",
    "DistributionLine",
    "DistributionPlan",
    "FormSubmission",
    "FundSource",
    "FundUse",
    "Handover",
    "IncomeRecord",
    "MaintenanceDuty",
    "MaintenanceLog",
    "NetworkLink",
    "OperationContract",
    "OwnershipRecord",
    "OwnershipShare",
    "Party",
    "PerformanceTarget",
    "PlanReturn",
    "Project",
    "ProjectFile",
    "ProjectFunding",
    "ProjectStep",
    "PublicNotice",
    "RegistrationReturn",
    "RelocationSite",
    "SiteFacility",
    "SiteProblem",
    "SiteProject",
    "SiteSupport",
    "TaskListItem",
    "User",
    "Waterway",
]
