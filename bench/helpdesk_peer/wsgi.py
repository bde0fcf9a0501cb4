"""WSGI entry of the django-helpdesk peer (served by gunicorn in the benchmark)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.helpdesk_peer.settings")
application = get_wsgi_application()
