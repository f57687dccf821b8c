from django.urls import path

from registry.views import actions, areas, assets, records, todo

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
]
