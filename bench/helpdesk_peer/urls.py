"""URLs of the django-helpdesk peer: the helpdesk at the root, as its docs show."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls"))]
