#!/usr/bin/env bash
# make fuzz: build every libFuzzer harness tests/fuzz/fuzz_<name>.c with
# ASan + UBSan against all library sources, then run each one from a copy
# of its seed corpus (tests/fuzz/corpus/<name>/), with the dictionary
# tests/fuzz/<name>.dict when there is one, for an equal share of SECONDS.  Any crash, leak, timeout or out-of-memory fails the run; the
# reproducer is left in build/fuzz/artifacts-<name>/.
#
# The PDF harnesses also take every PDF of the shared conformance corpus
# (scripts/find-corpus.sh: KYSO_PADES_CORPUS or ../shared/corpora/pades) as seeds,
# and the XML harness every XML file of ../shared/corpora/xades.
#
# usage: scripts/fuzz.sh [SECONDS] [name...]   (default 600, all harnesses)
set -uo pipefail

TOTAL=${1:-600}
shift || true
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
OUT=build/fuzz
PDF_CORPUS=$(scripts/find-corpus.sh)
XML_CORPUS=$(scripts/find-corpus.sh xades)
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null; then
  echo "fuzz: $CC not found (scripts/deps.sh installs clang)"
  exit 1
fi
case $TOTAL in '' | *[!0-9]*) echo "fuzz: SECONDS must be a number"; exit 1 ;; esac

# Same packages and defines as the Makefile (read from it, not copied).
PKGS=$(sed -n 's/^PKGS[[:space:]]*:=[[:space:]]*//p' Makefile)
VERSION=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' Makefile)
NOPC_LIBS=$(sed -n 's/^NOPC_LIBS[[:space:]]*:=[[:space:]]*//p' Makefile)
DEFS=(-D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED "-DKS_VERSION=\"$VERSION\"")
# shellcheck disable=SC2086
read -r -a PKG_CFLAGS <<<"$(pkg-config --cflags $PKGS)"
# shellcheck disable=SC2086
read -r -a PKG_LIBS <<<"$(pkg-config --libs $PKGS)"
CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer "${DEFS[@]}" -I. -Icore "${PKG_CFLAGS[@]}")
# shellcheck disable=SC2206
LIBS=("${PKG_LIBS[@]}" $NOPC_LIBS -lm -lpthread)
SAN=("-fsanitize=address,undefined" "-fno-sanitize-recover=all")

if [ $# -gt 0 ]; then
  harnesses=()
  for n in "$@"; do harnesses+=("tests/fuzz/fuzz_$n.c"); done
else
  harnesses=()
  for h in tests/fuzz/fuzz_*.c; do [ -f "$h" ] && harnesses+=("$h"); done
fi
if [ ${#harnesses[@]} -eq 0 ]; then
  echo "fuzz: no harnesses"
  exit 1
fi

# Library objects once, instrumented for coverage (fuzzer-no-link).
srcs=()
for s in core/*.c pkcs11/*.c formats/*/*.c signer/*.c signer/*/*.c api/*.c; do
  [ -f "$s" ] && srcs+=("$s")
done
mkdir -p "$OUT/obj"
objs=()
pids=()
for s in "${srcs[@]}"; do
  o="$OUT/obj/${s//\//_}.o"
  objs+=("$o")
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find "$(dirname "$s")" core -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
    "$CC" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer-no-link -c "$s" -o "$o" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$(nproc)" ]; then
      wait "${pids[0]}" || { echo "fuzz: compiling failed"; exit 1; }
      pids=("${pids[@]:1}")
    fi
  fi
done
for p in "${pids[@]}"; do wait "$p" || { echo "fuzz: compiling failed"; exit 1; }; done

for h in "${harnesses[@]}"; do
  name=$(basename "$h" .c)
  name=${name#fuzz_}
  "$CC" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer -o "$OUT/fuzz_$name" "$h" "${objs[@]}" \
    "${LIBS[@]}" || { echo "fuzz: building $name failed"; exit 1; }
done

per=$((TOTAL / ${#harnesses[@]}))
[ "$per" -lt 10 ] && per=10
status=0
summary=()
for h in "${harnesses[@]}"; do
  name=$(basename "$h" .c)
  name=${name#fuzz_}
  corpus="$OUT/corpus-$name"
  art="$OUT/artifacts-$name/"
  log="$OUT/fuzz-$name.log"
  rm -rf "$corpus" "$art"
  mkdir -p "$corpus" "$art"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -r "tests/fuzz/corpus/$name/." "$corpus/"
    chmod -R u+w "$corpus"
  fi
  # PDF harnesses also start from every PDF of the shared conformance corpus.
  case $name in pdfdoc | pades_verify | pdf_sign)
    if [ -d "$PDF_CORPUS" ]; then
      find "$PDF_CORPUS" -name '*.pdf' -type f -exec cp {} "$corpus/" \;
      chmod -R u+w "$corpus"
    fi
    ;;
  xml_verify)
    if [ -d "$XML_CORPUS" ]; then
      find "$XML_CORPUS" -name '*.xml' -type f -exec cp {} "$corpus/" \;
      chmod -R u+w "$corpus"
    fi
    ;;
  esac
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  echo "fuzz: $name for ${per}s (log $log)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$OUT/fuzz_$name" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$art" -type f | wc -l)
  if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    result="FAILED (exit $rc; artifacts: $(find "$art" -type f -printf '%f '))"
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" |
      head -5 | sed 's/^/    /'
  else
    result=ok
  fi
  summary+=("$(printf '%-14s %10s execs %7s/s %6s corpus files  %s' "$name" "${execs:-?}" \
    "${speed:-?}" "$files" "$result")")
done

echo "fuzz summary (${per}s each):"
printf '  %s\n' "${summary[@]}"
exit $status
