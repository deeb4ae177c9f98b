#!/usr/bin/env bash
# Debian packages qofsim can use beyond PyPI: PostgreSQL for QOFSIM_DATABASE_URL runs.
# The default flow needs none of them (SQLite). Run as root.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
echo "postgresql: $(ls /usr/lib/postgresql 2>/dev/null | tr '\n' ' ')"
