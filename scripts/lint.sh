#!/usr/bin/env bash
# make lint: banned functions (STYLE rule 10), clang-format, and the
# architecture (scripts/check-deps.py).  usage: scripts/lint.sh [BUILD]
set -uo pipefail
cd "$(dirname "$0")/.."

DIRS=(core signer formats pkcs11 api cli tests bench)
status=0

existing=()
for d in "${DIRS[@]}"; do [ -d "$d" ] && existing+=("$d"); done

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf|alloca)[[:space:]]*\('
if hits=$(grep -rnE --include='*.c' --include='*.h' "$banned" "${existing[@]}"); then
  echo "lint: banned functions used:"
  echo "$hits"
  status=1
fi

if ! command -v clang-format >/dev/null; then
  echo "lint: clang-format not installed (scripts/deps.sh installs it)"
  exit 1
fi
mapfile -t files < <(find "${existing[@]}" -name '*.[ch]' -type f | sort)
if [ ${#files[@]} -gt 0 ]; then
  if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/kyso-lint.$$; then
    echo "lint: files not in clang-format style (run: clang-format -i FILE):"
    grep -oE '^[^:]+\.[ch]' /tmp/kyso-lint.$$ | sort -u | sed 's/^/  /'
    status=1
  fi
  rm -f /tmp/kyso-lint.$$
fi

# Layers and loops (DESIGN.md): no include up a layer, no include loop, no
# call loop between files (from the object files of BUILD).
if ! python3 scripts/check-deps.py "${1:-build}"; then
  status=1
fi

[ $status -eq 0 ] && echo "lint: ok (${#files[@]} files; layers and loops checked)"
exit $status
