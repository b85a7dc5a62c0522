"""WSGI entry point (gunicorn xinyidai.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyidai.settings")
application = get_wsgi_application()
