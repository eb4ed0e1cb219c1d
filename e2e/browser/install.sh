#!/usr/bin/env bash
# Installs what the console's browser tests need on a fresh Debian machine:
# Debian's Chromium (/usr/bin/chromium; Playwright never downloads a browser)
# and playwright-core, pinned in package-lock.json. Run as root (CI is).
# Safe to run again: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi
/usr/bin/chromium --version

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node and npm are required for the browser tests (apt-get install -y nodejs npm)" >&2
  exit 1
fi
echo "== npm ci (playwright-core)"
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but be explicit.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
node -e "console.log('playwright-core ' + require('playwright-core/package.json').version)"
