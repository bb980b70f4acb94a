#!/usr/bin/env bash
# Make a PostgreSQL server available for the tests.
# Order: SUQIU_TEST_PG_URL if set and reachable; else 127.0.0.1:5432 (starting the local
# cluster, or installing PostgreSQL, when we are root). Exit 0 when one answers, 1 otherwise.
set -uo pipefail

url="${SUQIU_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"

reachable() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -d "$url" -t 2
  else
    python3 - "$url" <<'PY'
import socket, sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), 2).close()
except OSError:
    sys.exit(1)
PY
  fi
}

reachable && exit 0
if [ -n "${SUQIU_TEST_PG_URL:-}" ]; then
  echo "suqiu: SUQIU_TEST_PG_URL=$SUQIU_TEST_PG_URL does not answer" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "suqiu: installing PostgreSQL for the database tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  conf="/etc/postgresql/$version/main/pg_hba.conf"
  # Local test server: trust on loopback, as on the CI machines.
  if ! grep -q "suqiu-test" "$conf" 2>/dev/null; then
    sed -i '1i host all all 127.0.0.1/32 trust # suqiu-test\nhost all all ::1/128 trust # suqiu-test\nlocal all all trust # suqiu-test' "$conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do reachable && exit 0; sleep 1; done
fi

echo "" >&2
echo "################################################################################" >&2
echo "# suqiu: NO PostgreSQL available at $url" >&2
echo "# The PostgreSQL tests will be SKIPPED. Set SUQIU_TEST_PG_URL or run as root." >&2
echo "################################################################################" >&2
exit 1
