#!/usr/bin/env bash
# Debian packages qofsim uses beyond PyPI:
# - PostgreSQL's server (initdb, pg_ctl, postgres under /usr/lib/postgresql/<version>/bin). `make test`
#   starts a throw-away server from them for the store tests (tests/pg.py); QOFSIM_DATABASE_URL runs can
#   use the cluster the package sets up.
# - Chromium (/usr/bin/chromium), which the report's browser test (tests/reporting/test_browser.py)
#   drives headless through Playwright's pip package: Debian's browser, so nothing is downloaded at run time.
# Idempotent: when everything is there it only says so (no apt-get at all). Installing needs root (or
# password-less sudo) and network to Debian's mirrors; without them it warns and leaves the decision to
# the tests (they fail under CI, skip elsewhere).
set -euo pipefail
have_server() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_chromium() { [ -x /usr/bin/chromium ]; }
missing=()
have_server || missing+=(postgresql)
have_chromium || missing+=(chromium fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "system-packages: missing ${missing[*]} and this is not root:" \
         "run 'apt-get install ${missing[*]}' as root (their tests will skip, or fail under CI)" >&2
    exit 0
  fi
  echo "system-packages: installing Debian's ${missing[*]} (apt-get)"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  have_server || { echo "system-packages: postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
  have_chromium || { echo "system-packages: chromium installed but no /usr/bin/chromium" >&2; exit 1; }
fi
echo "system-packages: postgresql $(ls /usr/lib/postgresql | tr '\n' ' '); $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
