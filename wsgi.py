"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi ...`."""

import sys

from signage import ConfigError, create_app

try:
    app = create_app()
except ConfigError as e:
    # One clear line for whoever starts it (a missing secret in production), not a
    # traceback through the import machinery of flask or gunicorn. Status 3 is
    # gunicorn's "worker failed to boot": the master stops instead of booting
    # workers again and again.
    print(f"signage: {e}", file=sys.stderr)
    raise SystemExit(3) from None
