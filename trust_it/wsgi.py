"""The WSGI entry point for gunicorn: `gunicorn trust_it.wsgi:app`."""
from trust_it import create_app

app = create_app()
