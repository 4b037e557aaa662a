#!/bin/sh
# Make sure the PostgreSQL server the store tests use answers at 127.0.0.1:5432.
# Development and CI machines have Debian's PostgreSQL installed; start it when it is down.
set -e
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: run 'apt-get install -y postgresql' (see .ci/run)" >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -n | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 0.2
done
echo "PostgreSQL did not start" >&2
exit 1
