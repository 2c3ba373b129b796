from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "cobra-admin"
admin.site.site_title = "cobra-admin"
admin.site.index_title = "COBRA and state continuation back office"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
