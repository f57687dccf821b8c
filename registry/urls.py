from django.urls import path

from registry import views

app_name = "registry"

urlpatterns = [
    path("areas/", views.AdminAreaListView.as_view(), name="area_list"),
    path("areas/<str:code>/", views.AdminAreaDetailView.as_view(), name="area_detail"),
]
