from django.urls import path

from registry.views import actions, areas, assets, needs, plans, projects, records, sites, todo

app_name = "registry"

urlpatterns = [
    path("areas/", areas.AdminAreaListView.as_view(), name="area_list"),
    path("areas/<str:code>/", areas.AdminAreaDetailView.as_view(), name="area_detail"),
    path(
        "areas/<str:code>/notice-sheet/",
        assets.VillageNoticeSheetView.as_view(),
        name="notice_sheet",
    ),
    path("todo/", todo.TodoView.as_view(), name="todo"),
    path("assets/", assets.AssetListView.as_view(), name="asset_list"),
    path("records/<str:kind>/", records.RecordListView.as_view(), name="record_list"),
    path("assets/new/", assets.AssetFormView.as_view(), name="asset_create"),
    path("assets/<str:code>/", assets.AssetDetailView.as_view(), name="asset_detail"),
    path("assets/<str:code>/edit/", assets.AssetFormView.as_view(), name="asset_edit"),
    path("assets/<str:code>/status/", assets.asset_set_status, name="asset_status"),
    path("assets/<str:code>/harden/", assets.asset_harden, name="asset_harden"),
    path(
        "assets/<str:code>/approve/",
        assets.asset_approve_registration,
        name="asset_approve_registration",
    ),
    path(
        "assets/<str:code>/return/",
        assets.asset_return_registration,
        name="asset_return_registration",
    ),
    path("assets/<str:code>/ownership/", actions.OwnershipConfirmView.as_view(), name="ownership"),
    path("assets/<str:code>/handover/", actions.HandoverView.as_view(), name="handover"),
    path("assets/<str:code>/operation/", actions.OperationContractView.as_view(), name="operation"),
    path(
        "assets/<str:code>/maintenance/",
        actions.MaintenanceAssignView.as_view(),
        name="maintenance_assign",
    ),
    path("assets/<str:code>/log/", actions.MaintenanceLogView.as_view(), name="maintenance_log"),
    path("assets/<str:code>/income/", actions.IncomeRecordView.as_view(), name="income"),
    path(
        "assets/<str:code>/distribution/",
        actions.DistributionPlanView.as_view(),
        name="distribution_plan",
    ),
    path(
        "assets/<str:code>/distribution/<int:plan_id>/advance/",
        assets.plan_advance,
        name="plan_advance",
    ),
    path(
        "assets/<str:code>/distribution/<int:plan_id>/return/",
        assets.plan_return,
        name="plan_return",
    ),
    path(
        "assets/<str:code>/distribution/<int:plan_id>/revise/",
        actions.DistributionPlanView.as_view(),
        name="plan_revise",
    ),
    path("assets/<str:code>/disposal/", actions.DisposalRequestView.as_view(), name="disposal"),
    path(
        "assets/<str:code>/disposal/<int:request_id>/decide/",
        assets.disposal_decide,
        name="disposal_decide",
    ),
    path(
        "assets/<str:code>/disposal/<int:request_id>/complete/",
        actions.DisposalCompleteView.as_view(),
        name="disposal_complete",
    ),
    path("assets/<str:code>/notice/", actions.NoticePostView.as_view(), name="notice"),
    path("attachments/<int:pk>/", assets.attachment_download, name="attachment"),
    # --- the project libraries (一库一单): villages' needs, the library, the year's plan
    path("needs/", needs.NeedListView.as_view(), name="need_list"),
    path("needs/new/", needs.NeedFormView.as_view(), name="need_create"),
    path("needs/sheet/<str:code>/", needs.NeedSheetView.as_view(), name="need_sheet"),
    path("needs/<int:pk>/", needs.NeedDetailView.as_view(), name="need_detail"),
    path("needs/<int:pk>/edit/", needs.NeedFormView.as_view(), name="need_edit"),
    path("needs/<int:pk>/post/", needs.NeedPostView.as_view(), name="need_post"),
    path("needs/<int:pk>/file/", needs.NeedFileView.as_view(), name="need_file"),
    path("needs/<int:pk>/submit/", needs.need_submit, name="need_submit"),
    path("needs/<int:pk>/review/", needs.NeedReviewView.as_view(), name="need_review"),
    path("projects/", projects.ProjectListView.as_view(), name="project_list"),
    path("projects/review/", projects.ReviewQueueView.as_view(), name="project_queue"),
    path("projects/new/", projects.ProjectFormView.as_view(), name="project_create"),
    path("projects/files/<int:pk>/", projects.project_file_download, name="project_file"),
    path(
        "projects/township-sheet/<str:code>/",
        projects.TownshipSheetView.as_view(),
        name="township_sheet",
    ),
    path(
        "projects/library-sheet/<int:year>/",
        projects.LibrarySheetView.as_view(),
        name="library_sheet",
    ),
    path("projects/plan/", plans.current_plan, name="plan_current"),
    path("projects/plan/<int:year>/", plans.PlanYearView.as_view(), name="plan_year"),
    path("projects/tasks/new/", plans.TaskFormView.as_view(), name="task_create"),
    path("projects/tasks/<int:pk>/", plans.TaskFormView.as_view(), name="task_edit"),
    path("projects/<str:code>/", projects.ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<str:code>/edit/", projects.ProjectFormView.as_view(), name="project_edit"),
    path(
        "projects/<str:code>/review/",
        projects.ProjectStepView.as_view(),
        {"step": "township_review"},
        name="project_review",
    ),
    path(
        "projects/<str:code>/step/<str:step>/",
        projects.ProjectStepView.as_view(),
        name="project_step",
    ),
    # --- relocation sites (易地扶贫搬迁安置点)
    path("sites/", sites.SiteListView.as_view(), name="site_list"),
    path("sites/new/", sites.SiteFormView.as_view(), name="site_create"),
    path("sites/<str:code>/", sites.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<str:code>/edit/", sites.SiteFormView.as_view(), name="site_edit"),
    path(
        "sites/<str:code>/facilities/", sites.FacilityLinkView.as_view(), name="site_facility_link"
    ),
    path("sites/<str:code>/facilities/<int:pk>/end/", sites.facility_end, name="site_facility_end"),
    path("sites/<str:code>/projects/", sites.ProjectLinkView.as_view(), name="site_project_link"),
    path("sites/<str:code>/projects/<int:pk>/end/", sites.project_end, name="site_project_end"),
    path("sites/<str:code>/support/", sites.SupportView.as_view(), name="site_support"),
    path("sites/<str:code>/problems/new/", sites.ProblemView.as_view(), name="site_problem_add"),
    path(
        "sites/<str:code>/problems/<int:pk>/resolve/",
        sites.ResolveView.as_view(),
        name="site_problem_resolve",
    ),
]
