#!/usr/bin/env bash
# Extract each area's Vietnamese source strings into its own catalogue and update the
# English translation (signage/<area>/translations/en/LC_MESSAGES/messages.po).
# Usage: scripts/messages.sh [area ...]   (default: every area; "root" is the shared
# layout, errors and core pages). Then translate the new entries and `make translations`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
areas=("$@")
[ ${#areas[@]} -eq 0 ] && areas=(root accounts venues checkin posters screens reports tracing api cards jobs mail privacy adoption units campaign)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for area in "${areas[@]}"; do
    if [ "$area" = root ]; then
        dir=signage
        printf '[python: signage/*.py]\n[python: signage/core/**.py]\n[jinja2: signage/templates/*.html]\n[jinja2: signage/templates/core/**.html]\n' >"$tmp/cfg"
    else
        dir=signage/$area
        [ -d "$dir" ] || continue
        printf '[python: signage/%s/**.py]\n[jinja2: signage/templates/%s/**.html]\n' "$area" "$area" >"$tmp/cfg"
    fi
    # Domain errors carry their user-facing (Vietnamese) message as first argument.
    "$BIN/pybabel" extract -F "$tmp/cfg" -k _l -k lazy_gettext -k N_ \
        -k Invalid -k NotFound -k Conflict -k Gone -k DomainError \
        --no-location --sort-output --omit-header -o "$tmp/$area.pot" . >/dev/null 2>&1
    po="$dir/translations/en/LC_MESSAGES/messages.po"
    if [ -f "$po" ]; then
        "$BIN/pybabel" update -N --ignore-obsolete -i "$tmp/$area.pot" -d "$dir/translations" -l en >/dev/null
    else
        "$BIN/pybabel" init -i "$tmp/$area.pot" -d "$dir/translations" -l en >/dev/null
    fi
    echo "$area: $(grep -c '^msgid' "$po") messages, $(grep -c '^msgstr ""$' "$po") untranslated (approx.)"
done
