from django.urls import path

from transfer.views import exports, imports, network, project_imports, site_files

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
    # The project libraries (一库一单): exports of the library, the year's plan and the task list,
    # and the import of a library kept before the register.
    path("project-files/library.<str:fmt>", exports.project_export, name="project_export"),
    # The network gap table (gis.gaps), as the gaps view lists it.
    path("network/gaps.<str:fmt>", network.gap_export, name="gap_export"),
    path("project-files/plan.<str:fmt>", exports.plan_export, name="plan_export"),
    path("project-files/tasks.<str:fmt>", exports.task_export, name="task_export"),
    path(
        "project-files/imports/",
        project_imports.project_import_list,
        name="project_import_list",
    ),
    path(
        "project-files/imports/<int:pk>/",
        project_imports.project_import_detail,
        name="project_import_detail",
    ),
    path(
        "project-files/imports/<int:pk>.json",
        project_imports.project_import_status,
        name="project_import_status",
    ),
    path(
        "project-files/imports/<int:pk>/commit",
        project_imports.project_import_commit,
        name="project_import_commit",
    ),
    path(
        "project-files/imports/<int:pk>/problems.xlsx",
        project_imports.project_import_problems,
        name="project_import_problems",
    ),
    # Relocation sites: the site list as a file, and the import of sites kept before the register.
    path("site-files/sites.<str:fmt>", site_files.site_export, name="site_export"),
    path("site-files/imports/", site_files.site_import_list, name="site_import_list"),
    path("site-files/imports/<int:pk>/", site_files.site_import_detail, name="site_import_detail"),
    path(
        "site-files/imports/<int:pk>.json",
        site_files.site_import_status,
        name="site_import_status",
    ),
    path(
        "site-files/imports/<int:pk>/commit",
        site_files.site_import_commit,
        name="site_import_commit",
    ),
    path(
        "site-files/imports/<int:pk>/problems.xlsx",
        site_files.site_import_problems,
        name="site_import_problems",
    ),
]
