#!/bin/sh
# Installs the Debian packages bohran's local runs and tests need, if any are missing.
# Idempotent: when everything is present it changes nothing and runs no apt-get at all.
#   redis-server            alert state store (deploy/local/launcher.py starts it on a free loopback port)
#   kcat                    poking at the local Kafka topics by hand
#   prometheus              promtool, for the rule and dashboard-query tests
#   prometheus-alertmanager the alertmanager channel's tests
# Java 17+ and Maven (for the Kafka jars) are assumed present; checked first, with a clear error if not.
#
# Usage: deploy/local/system-packages.sh [--check]   (--check: only report, exit 1 if something is missing)
set -eu

PACKAGES="redis-server kcat prometheus prometheus-alertmanager"
check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

say() { echo "system-packages: $*"; }
fail() { echo "system-packages: error: $*" >&2; exit 1; }

# Java 17+ (Kafka 4 brokers refuse older JVMs) and Maven.
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; else java="$(command -v java || true)"; fi
[ -n "$java" ] || fail "java not found; Kafka 4 needs Java 17+ (apt-get install -y openjdk-17-jre-headless)"
java_version="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9.]*\).*/\1/p' | head -n 1)"
java_major="${java_version%%.*}"
[ "$java_major" = "1" ] && java_major="$(echo "$java_version" | cut -d. -f2)"
case "$java_major" in
    ''|*[!0-9]*) fail "cannot tell the version of $java" ;;
esac
[ "$java_major" -ge 17 ] || fail "$java is Java $java_major; Kafka 4 needs Java 17+ (apt-get install -y openjdk-17-jre-headless)"
command -v mvn >/dev/null 2>&1 || fail "mvn not found; Maven fetches the Kafka jars (apt-get install -y maven)"
say "ok: java $java_version ($java), $(mvn -v 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g')"

missing=""
for package in $PACKAGES; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    if [ "$status" = "install ok installed" ]; then
        say "ok: $package $(dpkg-query -W -f='${Version}' "$package")"
    else
        missing="$missing $package"
    fi
done
missing="${missing# }"

if [ -z "$missing" ]; then
    say "nothing to install"
    exit 0
fi
say "missing: $missing"
[ "$check_only" -eq 0 ] || exit 1
if [ "$(id -u)" -ne 0 ]; then
    fail "run as root to install them, or: sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing"
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get update -q
say "apt-get install -y --no-install-recommends $missing"
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
say "installed: $missing"
