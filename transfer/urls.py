from django.urls import path

from transfer.views import exports, imports

app_name = "transfer"

# The paths are those the gis app served them under, so that bookmarks keep working.
urlpatterns = [
    path("gis/assets/export.<str:fmt>", exports.asset_export, name="asset_export"),
    path("gis/records/<str:kind>/export.<str:fmt>", exports.record_export, name="record_export"),
    path("gis/exports/<int:pk>/", exports.export_detail, name="export_detail"),
    path("gis/exports/<int:pk>.json", exports.export_status, name="export_status"),
    path("gis/exports/<int:pk>/download", exports.export_download, name="export_download"),
    path("gis/imports/", imports.import_list, name="import_list"),
    path("gis/imports/template.xlsx", imports.import_template, name="import_template"),
    path("gis/imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("gis/imports/<int:pk>.json", imports.import_status, name="import_status"),
    path("gis/imports/<int:pk>/columns/", imports.import_mapping, name="import_mapping"),
    path("gis/imports/<int:pk>/commit", imports.import_commit, name="import_commit"),
    path("gis/imports/<int:pk>/problems.xlsx", imports.import_problems, name="import_problems"),
]
