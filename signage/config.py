"""Every setting with its default.

`create_app` loads these, then overrides them from ``SIGNAGE_*`` environment variables
(``SIGNAGE_RETENTION_DAYS=14``; values are parsed as JSON when they parse, so
numbers and booleans work), then from the mapping a test passes. Nothing here does I/O.
"""

from datetime import timedelta

# "production" refuses to start without a real SECRET_KEY and PUBLIC_BASE_URL;
# "development" (make run) and "testing" (the suite) fill in safe local defaults.
ENV = "production"

SECRET_KEY = ""
# Printed on every board: a public API forever. Never derived from the request host,
# which an attacker controls through the Host header.
PUBLIC_BASE_URL = ""

# Keys that encrypt names, phone numbers and free text at rest (signage/crypto.py):
# base64url of 32 random bytes each (`python -m signage.crypto`), comma-separated,
# the first one encrypting. Kept outside the database; production refuses to start
# without it; development and tests generate instance/data.key when it is empty.
DATA_KEY = ""

# Empty means the embedded SQLite file instance/signage.db.
DATABASE_URL = ""
# SQLite waits this long for another writer before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 15_000
# FULL: every commit is flushed to disk before it is acknowledged, so a check-in a
# resident saw confirmed survives a power cut (WAL with NORMAL loses the last
# transactions). NORMAL is faster and loses them; see signage/db.py make_engine.
SQLITE_SYNCHRONOUS = "FULL"

# Thành phố Huế (2025 two-level units); any province code from vietnam-provinces works.
DEFAULT_PROVINCE_CODE = 46

# Personal data (check-ins, feedback) is purged after this many days.
RETENTION_DAYS = 28

# Campaign identity: edited by the province admin in the portal (signage/campaign,
# /admin/campaign) and stored in the database. These are only the fallbacks for a
# field never saved there; production refuses to print boards while a placeholder
# (this authority, no uploaded logo, no city app, ...) is in force.
CAMPAIGN_TITLE = "MÃ QR THÔNG TIN PHẢN HỒI"
CAMPAIGN_AUTHORITY = "UBND tỉnh / thành phố"
CAMPAIGN_PRIMARY_COLOR = "#0b5394"
CAMPAIGN_ACCENT_COLOR = "#b3261e"
CAMPAIGN_DEADLINE = ""  # ISO date, e.g. "2026-12-31"; shown on reports
# First day of the units' progress charts (ISO date); empty: the last 30 days.
CAMPAIGN_START = ""
# A venue counts as "in use" on reports when it had a check-in within this many days.
REPORTS_ACTIVE_DAYS = 7
# JSON API (signage/api): check-ins one client key may post.
API_CHECKIN_LIMIT = "600 per minute"
# Personal QR cards (signage/cards): deleted when unused this long; cards made per IP.
CARDS_RETENTION_DAYS = 90
CARDS_LIMIT_PER_IP = "30 per hour"
# Data-subject requests (signage/privacy): the legal delay to answer one, in days
# from receipt (Law 91/2025, Decree 356/2025: deletion within 20 days).
ERASURE_DUE_DAYS = 20

# Sessions: signed cookies plus a server-side login record, so logout really ends them.
SESSION_COOKIE_NAME = "signage_session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_LIFETIME = timedelta(hours=12)  # absolute, counted from login
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
REMEMBER_COOKIE_DURATION = timedelta(0)

# Uploads (poster images up to 20 MB, CSV imports) fit well under this.
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

WTF_CSRF_TIME_LIMIT = 12 * 3600

# Rate-limit counters (signage/ratelimit): empty means the SQLite file
# instance/ratelimit.db, shared by the workers of one machine; redis://host:6379/0
# shares them between hosts; memory:// counts per process (tests only).
RATELIMIT_STORAGE_URI = ""
# Flask-Limiter's decorated routes count like signage/ratelimit (a burst across a
# window boundary is held to the figure) and never answer 500 for a storage failure.
RATELIMIT_STRATEGY = "sliding-window-counter"
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_ENABLED = True
LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
LOGIN_LIMIT_PER_IP = "60 per 15 minutes"
# "Forgot password": requests per address, and reset mails per account (more
# requests get the same answer and send nothing: no mail bombing).
RESET_LIMIT_PER_IP = "10 per hour"
RESET_LIMIT_PER_ACCOUNT = "3 per hour"
# Self-registration (signage/units): attempts per address and per e-mail address
# (so nobody fills a stranger's mailbox with verification mails).
REGISTER_LIMIT_PER_IP = "20 per hour"
REGISTER_LIMIT_PER_EMAIL = "3 per hour"
# The e-mailed verification link works once, for this many hours.
REGISTER_LINK_HOURS = 48
# Reminders to laggards: at most one per organisation in this many days.
REMINDER_EVERY_DAYS = 7

BABEL_DEFAULT_LOCALE = "vi"
# The zone every time is shown in (Flask-Babel's, and timefmt.zone() for local days).
# SIGNAGE_TIMEZONE, its old name, is still read (see create_app).
BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
LANGUAGES = ("vi", "en")

# Password hashing cost (argon2id). Tests lower it to keep the suite fast.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536

# Photos of posted boards (signage/reports): checked like slide images, then scaled
# down to 1600 px and stored without metadata in the storage (board-photos/).
BOARD_PHOTO_MAX_BYTES = 20 * 1024 * 1024
BOARD_PHOTO_MAX_PIXELS = 40_000_000

# Civil servants' adoption (signage/adoption). A unit's roster is deleted this many
# days after its upload unless the unit chooses otherwise (30 days to 2 years).
ROSTER_RETENTION_DAYS = 365
# Uploads: a roster of 100,000 staff is about 5 MB as CSV; the city app's export of
# a million accounts about 12 MB. Both stay under MAX_CONTENT_LENGTH.
ROSTER_MAX_BYTES = 20 * 1024 * 1024
APP_LIST_MAX_BYTES = 24 * 1024 * 1024

# Check-ins (signage/checkin). Many phones share one carrier IP, so per-IP limits are
# generous; the per-venue limit caps a flood aimed at one board.
CHECKIN_LIMIT_PER_IP = "300 per minute"
CHECKIN_LIMIT_PER_VENUE = "600 per minute"
CHECKIN_PURGE_BATCH = 5000
# "Remember me on this phone": how long the encrypted cookie with name and phone
# lives (days).
CHECKIN_REMEMBER_DAYS = 90

# Screens (e-poster loops): players poll their manifest every SCREENS_POLL_SECONDS
# (with jitter); a screen not seen for 3 intervals is listed as offline.
SCREENS_POLL_SECONDS = 30
# Emergency overrides: players ask this often whether one is on (a cheap read that
# answers 304 while nothing changed), so a new one shows within about this time.
SCREENS_ALERT_POLL_SECONDS = 5
# Slide durations (milliseconds). Tests lower the minimum to play loops quickly.
SCREENS_MIN_DURATION_MS = 3_000
SCREENS_MAX_DURATION_MS = 3_600_000
SCREENS_PAIRING_MINUTES = 30
SCREENS_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
SCREENS_UPLOAD_MAX_PIXELS = 40_000_000
# Video slides: the upload's limits (the request may be this large on that form only).
SCREENS_VIDEO_MAX_BYTES = 200 * 1024 * 1024
SCREENS_VIDEO_MAX_SECONDS = 10 * 60
# What a player keeps of its videos for offline play (Cache Storage), at most; and
# never more than half the browser's quota. Videos beyond it stream while online and
# are skipped offline. 1 GB: five full-size (200 MB) films on a cheap TV stick.
SCREENS_PLAYER_VIDEO_CACHE_MB = 1024
# Uploaded images (empty: the storage's media/ folder, shared by every app host) and
# cached renders (empty: instance/renders, each host's own).
SCREENS_MEDIA_DIR = ""
SCREENS_RENDER_DIR = ""
SCREENS_PAIR_LIMIT = "60 per hour"

# Background jobs (signage/jobs, on Huey). Empty JOBS_URL: the queue lives in its own
# SQLite file instance/jobs-queue.db (no server; one host). redis://host:6379/2 (or
# REDIS_URL when JOBS_URL is empty) shares it between hosts and consumers.
JOBS_URL = ""
REDIS_URL = ""
# Run tasks at once in the caller (Huey's immediate mode); the test suite sets it.
JOBS_IMMEDIATE = False
# Consumer threads per `flask jobs consume` process.
JOBS_WORKERS = 2
# A running job writes a heartbeat this often; one silent for JOBS_STALE_SECONDS is
# taken as lost (its consumer was killed) and retried, at most JOBS_MAX_ATTEMPTS
# runs in all, then marked failed. The reaper runs every minute and STALE+60 s after
# a consumer starts, so a lost job is resolved within about STALE + 60 seconds.
JOBS_HEARTBEAT_SECONDS = 10.0
JOBS_STALE_SECONDS = 60.0
JOBS_MAX_ATTEMPTS = 2
# A job's file (batch PDF, export) is kept this many hours, then deleted.
JOB_FILES_HOURS = 24
# A job's row (its title, state, who asked) is deleted this many days after it ended
# (its personal parameters already went when it ended; signage/jobs/models.py).
JOB_ROWS_DAYS = 28
# Check-in log exports with more rows than this run as a job; smaller ones stream.
EXPORT_JOB_ROWS = 10_000
# Venue CSV imports with more rows than this run as a job.
IMPORT_JOB_ROWS = 1_000
# Files that every host must reach (job results). Empty means instance/files; with
# several hosts point it at shared storage (see README).
STORAGE_DIR = ""

# E-mail (signage/mail). SMTP_URL: smtp://user:pass@host:587?starttls=1 (STARTTLS),
# smtps://user:pass@host:465 (implicit TLS) or smtp://127.0.0.1:1025 (no login);
# ?timeout=20 sets the seconds per attempt. Required in production; in development
# and testing, empty keeps every mail in the outbox, readable at /dev/mail.
SMTP_URL = ""
# The sender ("Sở TT&TT <no-reply@qr.example.vn>"); empty: no-reply@ the public host.
MAIL_FROM = ""
# A refused mail is tried again after 1, 2, 4... minutes (at most MAIL_RETRY_MAX_SECONDS
# apart), MAIL_MAX_ATTEMPTS times in all (about two hours), then marked failed for the
# admin to retry.
MAIL_MAX_ATTEMPTS = 8
MAIL_RETRY_SECONDS = 60
MAIL_RETRY_MAX_SECONDS = 3600
# Delivered mails are listed this long, then forgotten (failed ones stay).
MAIL_KEEP_DAYS = 90
