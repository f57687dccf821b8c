from django.urls import path

from gis import import_views, views

app_name = "gis"

urlpatterns = [
    path("map/", views.MapView.as_view(), name="map"),
    path("gis/areas.geojson", views.area_features, name="areas_geojson"),
    path("gis/waterways.geojson", views.waterway_features, name="waterways_geojson"),
    path("gis/tiles/assets/<int:z>/<int:x>/<int:y>.mvt", views.asset_tile, name="asset_tile"),
    path("gis/assets/<int:pk>.json", views.asset_popup, name="asset_popup"),
    path("gis/assets/search.json", views.asset_search, name="asset_search"),
    path("gis/townships.geojson", views.township_indicators, name="township_indicators"),
    path("gis/assets/export.<str:fmt>", views.asset_export, name="asset_export"),
    path("gis/records/<str:kind>/export.<str:fmt>", views.record_export, name="record_export"),
    path("gis/exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("gis/exports/<int:pk>.json", views.export_status, name="export_status"),
    path("gis/exports/<int:pk>/download", views.export_download, name="export_download"),
    path("gis/imports/", import_views.import_list, name="import_list"),
    path("gis/imports/template.xlsx", import_views.import_template, name="import_template"),
    path("gis/imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("gis/imports/<int:pk>.json", import_views.import_status, name="import_status"),
    path("gis/imports/<int:pk>/commit", import_views.import_commit, name="import_commit"),
    path(
        "gis/imports/<int:pk>/problems.xlsx", import_views.import_problems, name="import_problems"
    ),
]
