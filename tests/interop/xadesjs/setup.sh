#!/usr/bin/env bash
# Installs xadesjs (npm) with its Node.js DOM and XPath dependencies into a
# test-local node_modules under the build tree, once; prints the directory.
# usage: setup.sh BUILD_DIR
set -euo pipefail
dir=${1:?build dir}/xadesjs
if [ ! -f "$dir/node_modules/xadesjs/package.json" ] ||
	[ ! -f "$dir/node_modules/@xmldom/xmldom/package.json" ] ||
	[ ! -f "$dir/node_modules/xpath/package.json" ]; then
	command -v npm >/dev/null || { echo "setup: npm not installed (scripts/deps.sh)" >&2; exit 1; }
	mkdir -p "$dir"
	[ -f "$dir/package.json" ] || echo '{ "name": "kyso-xadesjs-peer", "private": true }' >"$dir/package.json"
	(cd "$dir" && npm install --no-audit --no-fund --loglevel=error \
		xadesjs@2 @xmldom/xmldom@0.9 xpath@0.0.34 >&2)
fi
echo "$dir"
