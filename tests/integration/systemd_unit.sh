#!/usr/bin/env bash
# docs/kyso.service, checked without systemd running: the commands it
# runs are `kyso serve` with options `kyso serve --help` knows, the
# example configuration passes `kyso serve --check-config` (and a broken
# one does not), the sandboxing options are there with their values, and,
# when systemd-analyze is installed, `systemd-analyze verify` finds
# nothing to say about the unit (the binary path pointed at this build).
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
UNIT=$ROOT/docs/kyso.service
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# every "Key=value" line of the unit, as "Section.Key<TAB>value"
$PY - "$UNIT" >"$TMP/unit.tsv" <<'PY'
import sys
sec = None
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.strip()
    if not line or line[0] in "#;":
        continue
    if line.startswith("[") and line.endswith("]"):
        sec = line[1:-1]
        continue
    k, sep, v = line.partition("=")
    if not sep or sec is None:
        print("BAD\t" + line)
        continue
    print("%s.%s\t%s" % (sec, k.strip(), v.strip()))
PY
if ! grep -q '^BAD' "$TMP/unit.tsv" && grep -q '^Service\.ExecStart	' "$TMP/unit.tsv"; then
  ok "the unit reads as sections of Key=value lines"
else
  notok "the unit reads as sections of Key=value lines" "$(grep '^BAD' "$TMP/unit.tsv")"
fi
val() { awk -F '\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$TMP/unit.tsv"; }
vals() { awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$TMP/unit.tsv"; }

# the commands: the installed kyso, `serve`, options it knows
"$KYSO" serve --help >"$TMP/help" 2>&1
cmd_ok() { # the command line
  local -a w
  read -r -a w <<<"$1"
  [ "${w[0]}" = /usr/local/bin/kyso ] && [ "${w[1]}" = serve ] || return 1
  local i
  for ((i = 2; i < ${#w[@]}; i++)); do
    case ${w[i]} in
    --*) grep -q -- "${w[i]}[ ,]" "$TMP/help" || return 1 ;;
    esac
  done
}
bad=
while IFS= read -r c; do cmd_ok "$c" || bad="$bad [$c]"; done < <(vals Service.ExecStart; vals Service.ExecStartPre)
if [ -z "$bad" ]; then
  ok "ExecStart and ExecStartPre run /usr/local/bin/kyso serve with options of 'kyso serve --help'"
else
  notok "the unit's commands are kyso serve with known options" "$bad"
fi
pre=$(val Service.ExecStartPre)
if [[ "$pre" == *" --check-config"* ]] && [[ "$pre" == *"--config $(val Service.ExecStart | sed -n 's/.*--config \([^ ]*\).*/\1/p')"* ]]; then
  ok "ExecStartPre checks the same configuration file ExecStart reads"
else
  notok "ExecStartPre checks the configuration" "'$pre'"
fi

# the configuration: the example holds, a broken one is refused by line
out=$("$KYSO" serve --check-config --config "$ROOT/docs/examples/kyso.conf" 2>&1)
if [ $? = 0 ] && [[ "$out" == *holds* ]]; then
  ok "kyso serve --check-config: docs/examples/kyso.conf holds"
else
  notok "kyso serve --check-config: the example holds" "$out"
fi
sed 's/^threads = .*/threads = 0/' "$ROOT/docs/examples/kyso.conf" >"$TMP/bad.conf"
grep -q '^threads = 0' "$TMP/bad.conf" || printf '[server]\nthreads = 0\n' >"$TMP/bad.conf"
out=$("$KYSO" serve --check-config --config "$TMP/bad.conf" 2>&1)
if [ $? != 0 ] && [[ "$out" == *"line "* ]]; then
  ok "kyso serve --check-config refuses a value out of range, with its line"
else
  notok "kyso serve --check-config refuses a bad file" "$out"
fi
printf '[server]\ntrusted-proxies = 127.0.0.1, 10.0.0.0/33\n' >"$TMP/bad.conf"
out=$("$KYSO" serve --check-config --config "$TMP/bad.conf" 2>&1)
if [ $? != 0 ] && [[ "$out" == *"trusted-proxies: '10.0.0.0/33' is not an address or network"* ]]; then
  ok "kyso serve --check-config refuses a trusted proxy that is no address or network, naming it"
else
  notok "kyso serve --check-config refuses a bad trusted-proxies" "$out"
fi
out=$("$KYSO" serve --check-config --config "$TMP/none.conf" 2>&1)
if [ $? != 0 ]; then ok "kyso serve --check-config: a missing file does not hold"; else notok "a missing file does not hold" "$out"; fi

# the sandbox and the stop
want() { # key expected-value
  local got
  got=$(val "Service.$1")
  [ "$got" = "$2" ] || echo "$1='$got' (want '$2')"
}
problems=$(
  want NoNewPrivileges yes
  want ProtectSystem strict
  want ProtectHome yes
  want PrivateTmp yes
  want ProtectKernelTunables yes
  want ProtectKernelModules yes
  want ProtectControlGroups yes
  want RestrictNamespaces yes
  want RestrictSUIDSGID yes
  want MemoryDenyWriteExecute yes
  want LockPersonality yes
  want CapabilityBoundingSet ""
  want AmbientCapabilities ""
  want DevicePolicy closed
  want SystemCallArchitectures native
  want StateDirectory kyso
  want StateDirectoryMode 0700
  want UMask 0077
  want KillSignal SIGTERM
  want User kyso
  vals Service.SystemCallFilter | grep -qx '@system-service' || echo "SystemCallFilter lacks @system-service"
  vals Service.RestrictAddressFamilies | grep -q 'AF_INET' || echo "RestrictAddressFamilies"
  case " $(val Service.ReadWritePaths) " in *" /var/lib/kyso "*) ;; *) echo "ReadWritePaths lacks /var/lib/kyso" ;; esac
  [ "$(val Service.WorkingDirectory)" = /var/lib/kyso ] || echo "WorkingDirectory"
)
if [ -z "$problems" ]; then
  ok "sandboxing: no new privileges, read-only system, no capabilities, system calls and address families restricted, state 0700"
else
  notok "the sandboxing options" "$problems"
fi
# SIGTERM drains for [server] drain seconds (10 by default): systemd must
# wait longer than that before it kills
stop=$(val Service.TimeoutStopSec)
drain=$(sed -n 's/^drain *= *\([0-9]*\).*/\1/p' "$ROOT/docs/examples/kyso.conf" | head -1)
if [ -n "$stop" ] && [ "$stop" -gt "${drain:-10}" ]; then
  ok "TimeoutStopSec ($stop s) leaves the drain (${drain:-10} s) time to finish"
else
  notok "TimeoutStopSec leaves the drain time" "TimeoutStopSec '$stop', drain '${drain:-10}'"
fi

# systemd's own check, when it is installed (it needs no running systemd)
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/local/bin/kyso|$KYSO|g" "$UNIT" >"$TMP/kyso.service"
  out=$(timeout 60 systemd-analyze verify "$TMP/kyso.service" 2>&1)
  rc=$?
  if [ $rc = 0 ] && [ -z "$out" ]; then
    ok "systemd-analyze verify: nothing to say about the unit"
  else
    notok "systemd-analyze verify accepts the unit" "exit $rc: $out"
  fi
  # and it does speak up about a misspelt option (the check above can fail)
  sed 's/^ProtectHome=/ProtectHom=/' "$TMP/kyso.service" >"$TMP/typo.service"
  out=$(timeout 60 systemd-analyze verify "$TMP/typo.service" 2>&1)
  if [[ "$out" == *ProtectHom* ]]; then
    ok "systemd-analyze verify reports a misspelt option"
  else
    notok "systemd-analyze verify reports a misspelt option" "$out"
  fi
else
  skip "systemd-analyze verify" "systemd-analyze is not installed"
  skip "systemd-analyze reports a misspelt option" "systemd-analyze is not installed"
fi
echo "1..$n"
