from django.urls import path

from gis import views

app_name = "gis"

urlpatterns = [
    path("map/", views.MapView.as_view(), name="map"),
    path("gis/areas.geojson", views.area_features, name="areas_geojson"),
    path("gis/waterways.geojson", views.waterway_features, name="waterways_geojson"),
]
