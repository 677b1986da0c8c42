#!/usr/bin/env bash
# Installs playwright-core (npm) into tests/browser/node_modules, once; it
# drives Debian's chromium (scripts/deps.sh), never a downloaded browser.
# usage: setup.sh  (prints the folder holding node_modules)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
	command -v npm >/dev/null || { echo "setup: npm not installed (scripts/deps.sh)" >&2; exit 1; }
	# playwright-core never downloads browsers; say so anyway
	(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund \
		--no-save --loglevel=error playwright-core@1 >&2)
fi
echo "$dir"
