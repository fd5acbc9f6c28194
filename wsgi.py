"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi ...`."""

from signage import ConfigError, create_app

try:
    app = create_app()
except ConfigError as e:  # a missing or bad setting: one clear line, no traceback
    raise SystemExit(f"signage: {e}") from None
