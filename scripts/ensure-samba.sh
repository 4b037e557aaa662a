#!/bin/sh
# Make sure the Samba AD DC the AD connector tests use (tests/samba_dc.py) is installed.
# Installs the Debian packages when a tool is missing and we run as root; idempotent and quiet.
# Nothing is configured or started here: the test fixture provisions a throwaway domain
# into a temporary directory and never touches /etc/samba.
set -e
missing=0
for tool in samba samba-tool smbclient smbcacls smbcontrol; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done
[ "$missing" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Samba is not installed: run as root 'apt-get install -y samba-ad-dc smbclient' (see scripts/ensure-samba.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# samba-ad-dc: the domain controller with its file server (smbd, smbcontrol, samba-tool);
# smbclient: smbclient and smbcacls, the SMB clients the connector and the tests use.
if ! apt-get install -y -qq samba-ad-dc smbclient >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq samba-ad-dc smbclient >/dev/null
fi
