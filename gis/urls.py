from django.urls import path

from gis import network_views, views

app_name = "gis"

urlpatterns = [
    path("map/", views.MapView.as_view(), name="map"),
    path("gis/areas.geojson", views.area_features, name="areas_geojson"),
    path("gis/waterways.geojson", views.waterway_features, name="waterways_geojson"),
    path("gis/tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", views.tile, name="tile"),
    path("gis/assets/<int:pk>.json", views.asset_popup, name="asset_popup"),
    path("gis/assets/search.json", views.asset_search, name="asset_search"),
    path("gis/projects/<int:pk>.json", views.project_popup, name="project_popup"),
    path("gis/needs.geojson", views.need_features, name="needs_geojson"),
    path("gis/townships.geojson", views.township_indicators, name="township_indicators"),
    # The infrastructure networks: the gaps view and the popups of the network layers.
    path("network/gaps/", network_views.GapsView.as_view(), name="network_gaps"),
    path("gis/network/links/<int:pk>.json", network_views.link_popup, name="network_link_popup"),
    path(
        "gis/network/places/<int:pk>.json",
        network_views.place_popup,
        name="network_place_popup",
    ),
    path("gis/sites/<int:pk>.json", network_views.site_popup, name="site_popup"),
]
