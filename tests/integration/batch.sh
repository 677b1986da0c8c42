#!/usr/bin/env bash
# kyso sign --batch: a class of 40 rendered transcripts signed on the
# principal's SoftHSM2 token with one PIN typed at the prompt (on a
# pseudo-terminal: the progress line redrawn in place), every output
# verifying against the test root; plain progress lines without a
# terminal; 3 broken files among 40 reported with their reasons (text
# and JSON) while the other 37 are signed; kill -9 in the middle leaves
# only complete outputs and --resume finishes the rest; SIGINT and SIGTERM
# stop after the file in progress with no temporary file left; what
# --resume takes as "already signed" (same input, key, level and digest)
# and what it signs again.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
URI=$KYSO_URI_PRINCIPAL_RSA
PIN=$KYSO_TEST_PIN
unset KYSO_PIN KYSO_VERIFY_URL KYSO_FONT_DIR
export KYSO PKI

check() { # name, command...
	local name=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/check.out")"; fi
}
# Every file of a folder verifies (TOTAL-PASSED) against the test root
# (revocation off: the test PKI's responders do not run here); a
# detached signature NAME.p7s over the file NAME of the input folder.
all_verify() { # dir, expected count, [input dir]
	local f c=0 content
	for f in "$1"/*; do
		case $f in *.tmp.*) continue ;; esac
		content=()
		case $f in *.p7s) content=(--content "$3/$(basename "$f" .p7s)") ;; esac
		"$KYSO" verify "$f" "${content[@]}" --trust "$PKI/root.pem" --revocation off \
			>/dev/null 2>&1 || {
			echo "does not verify: $f"
			return 1
		}
		c=$((c + 1))
	done
	[ -z "${2:-}" ] || [ "$c" -eq "$2" ] || {
		echo "$c files, $2 expected"
		return 1
	}
}
no_tmp() { ! ls "$1" | grep -q '\.tmp\.'; }
count() { find "$1" -maxdepth 1 -type f ! -name '*.tmp.*' 2>/dev/null | wc -l; }
wait_count() { # dir, n: wait (up to 30 s) until it holds n outputs
	local i
	for i in $(seq 3000); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.01
	done
	return 1
}

# --- a class of 40 transcripts
"$PY" "$ROOT/tests/data/mkclass.py" transcript 40 "$TMP/class.json" &&
	mkdir "$TMP/class" &&
	"$KYSO" render transcript --data "$TMP/class.json" --out-dir "$TMP/class" >/dev/null 2>&1
check "render a class of 40 transcripts" test "$(count "$TMP/class")" -eq 40

# --- on a pseudo-terminal: one PIN typed at the prompt, progress redrawn
# The PIN is typed once the prompt shows (the prompt flushes earlier input).
{
	for _ in $(seq 300); do
		grep -q "PIN for token" "$TMP/tty.log" 2>/dev/null && break
		sleep 0.1
	done
	printf '%s\n' "$PIN"
} | script -qefc "'$KYSO' sign --key '$URI' --batch '$TMP/class' --out-dir '$TMP/signed'" \
	"$TMP/tty.log" >/dev/null 2>&1
rc=$?
check "a class of 40 signed on the token with the PIN typed once (exit 0)" test $rc -eq 0
check "the PIN was asked exactly once" test "$(grep -c 'PIN for token' "$TMP/tty.log")" -eq 1
check "the 40 outputs verify (TOTAL-PASSED) against the test root" all_verify "$TMP/signed" 40
check "the report gives the certificate check before signing" \
	grep -q '^certificate check: certificate valid' "$TMP/tty.log"
check "each output is its transcript with the signature appended (PAdES incremental update)" \
	bash -c "for f in '$TMP'/class/*.pdf; do cmp -s -n \$(stat -c %s \"\$f\") \"\$f\" \
		'$TMP'/signed/\$(basename \"\$f\") || exit 1; done"
check "on a terminal the progress line is redrawn in place (CR, erase line)" \
	grep -q $'\r\e\[K\[[0-9]*/40\]' "$TMP/tty.log"
check "the progress line shows count, percentage, rate and time left" \
	grep -qE '\[40/40\] 100%  [0-9.]+ files/s  [0-9:]+ left' "$TMP/tty.log"
check "the report counts 40 signed" grep -q 'batch: 40 signed, 0 already signed (skipped), 0 failed' \
	"$TMP/tty.log"
check "no per-file plain lines on a terminal" bash -c "! grep -q '] signed ' '$TMP/tty.log'"

# --- without a terminal: one plain line per file on stderr
export KYSO_PIN=$PIN
"$KYSO" sign --key "$URI" --batch "$TMP/class" --out-dir "$TMP/plain" >"$TMP/plain.out" \
	2>"$TMP/plain.err"
rc=$?
check "without a terminal: exit 0" test $rc -eq 0
check "one plain line per file, in order ([N/40] signed IN -> OUT)" \
	test "$(grep -cE '^\[[0-9]+/40\] signed .*/class/[0-9]+\.pdf -> .*/plain/[0-9]+\.pdf$' \
		"$TMP/plain.err")" -eq 40
check "the last plain line is [40/40]" bash -c "grep '^\[' '$TMP/plain.err' | tail -1 | grep -q '^\[40/40\]'"
check "no carriage return or escape sequence without a terminal" \
	bash -c "! grep -q $'[\r\e]' '$TMP/plain.err' '$TMP/plain.out'"
check "the report goes to standard output" grep -q '^batch: 40 signed' "$TMP/plain.out"

# --- 3 broken files among 40: the other 37 are signed, the 3 reported
mkdir "$TMP/mixed"
cp "$TMP"/class/*.pdf "$TMP/mixed/"
set -- "$TMP"/mixed/*.pdf
head -c 2000 "$3" >"$TMP/cut" && mv "$TMP/cut" "$3"  # truncated
printf 'not a PDF at all\n' >"${10}"                # garbage named .pdf
printf '%%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n' \
	>"${20}" # no xref, no pages
broken=("$(basename "$3")" "$(basename "${10}")" "$(basename "${20}")")
"$KYSO" sign --key "$URI" --batch "$TMP/mixed" --out-dir "$TMP/mixed-out" --json \
	>"$TMP/mixed.json" 2>"$TMP/mixed.err"
rc=$?
check "3 broken files: exit 5 (some failed, the others signed)" test $rc -eq 5
check "the other 37 are signed and verify" all_verify "$TMP/mixed-out" 37
check "the broken files have no output and no temporary file is left" \
	bash -c "for b in ${broken[*]}; do [ ! -e '$TMP/mixed-out/'\$b ] || exit 1; done &&
		! ls '$TMP/mixed-out' | grep -q tmp"
check "JSON report: 40 files, 37 signed, 3 failed, none left" "$PY" -c "
import json, sys
r = json.load(open('$TMP/mixed.json'))
assert (r['total'], r['signed'], r['failed'], r['skipped'], r['not_done']) == (40, 37, 3, 0, 0), r
assert r['stopped'] is False
assert len(r['files']) == 40
"
check "JSON report: the 3 failed files by name, each with an error code and a reason" "$PY" -c "
import json, os
r = json.load(open('$TMP/mixed.json'))
failed = {os.path.basename(f['in']): f for f in r['files'] if f['status'] == 'failed'}
assert sorted(failed) == sorted('${broken[*]}'.split()), failed
for f in failed.values():
    assert f['error'] and f['error'] != 'ok', f
    assert len(f['reason']) > 10, f
ok = [f for f in r['files'] if f['status'] == 'signed']
assert all(os.path.exists(f['out']) for f in ok) and len(ok) == 37
assert all(f['certificate_check'].startswith('certificate valid') for f in ok), ok[0]
"
"$KYSO" sign --key "$URI" --batch "$TMP/mixed" --out-dir "$TMP/mixed-text" >"$TMP/mixed.txt" \
	2>"$TMP/mixed-text.err"
rc=$?
check "text report: exit 5, counts" bash -c "[ $rc -eq 5 ] &&
	grep -q '^batch: 37 signed, 0 already signed (skipped), 3 failed, 0 not done, of 40 files' '$TMP/mixed.txt'"
check "text report: each broken file listed under 'failed:' with its reason" \
	bash -c "grep -q '^failed:' '$TMP/mixed.txt' && for b in ${broken[*]}; do
		grep -qE \"^  .*/\$b: .{10,}\" '$TMP/mixed.txt' || exit 1; done &&
		[ \$(grep -c '^  ' '$TMP/mixed.txt') -eq 3 ]"
check "the failures are also progress lines ([N/40] failed NAME: reason)" \
	test "$(grep -c '^\[[0-9]*/40\] failed ' "$TMP/mixed-text.err")" -eq 3

# --- kill -9 in the middle, then --resume
# 200 names (hard links to the 40 transcripts) so the batch runs long
# enough to be killed in the middle.
mkdir "$TMP/big"
for i in $(seq 0 4); do
	for f in "$TMP"/class/*.pdf; do ln "$f" "$TMP/big/$i-$(basename "$f")"; done
done
"$KYSO" sign --key "$URI" --batch "$TMP/big" --out-dir "$TMP/big-out" >/dev/null 2>&1 &
pid=$!
wait_count "$TMP/big-out" 20
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
got=$(count "$TMP/big-out")
check "kill -9 in the middle: some outputs written, not all ($got of 200)" \
	bash -c "[ $got -ge 20 ] && [ $got -lt 200 ]"
check "every output left by kill -9 is complete and verifies" all_verify "$TMP/big-out" "$got"
"$KYSO" sign --key "$URI" --batch "$TMP/big" --out-dir "$TMP/big-out" --resume --json \
	>"$TMP/resume.json" 2>/dev/null
rc=$?
check "--resume finishes the rest (exit 0)" test $rc -eq 0
check "--resume skipped exactly the $got complete outputs and signed the others" "$PY" -c "
import json
r = json.load(open('$TMP/resume.json'))
assert (r['skipped'], r['signed'], r['failed']) == ($got, 200 - $got, 0), r
"
check "after --resume: 200 outputs, all verify, no temporary file left" \
	bash -c "$(declare -f all_verify); all_verify '$TMP/big-out' 200 &&
		! ls '$TMP/big-out' | grep -q tmp"

# --- SIGINT and SIGTERM: stop after the file in progress
for sig in INT TERM; do
	rm -rf "$TMP/stop-out"
	# A shell starts background jobs with SIGINT ignored; env gives it back.
	env --default-signal=INT "$KYSO" sign --key "$URI" --batch "$TMP/big" \
		--out-dir "$TMP/stop-out" >"$TMP/stop.out" 2>"$TMP/stop.err" &
	pid=$!
	wait_count "$TMP/stop-out" 20
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	got=$(count "$TMP/stop-out")
	check "SIG$sig: the batch stops early with exit 6 ($got of 200 written)" \
		bash -c "[ $rc -eq 6 ] && [ $got -ge 20 ] && [ $got -lt 200 ]"
	check "SIG$sig: no temporary file, every output complete" \
		bash -c "$(declare -f all_verify no_tmp); no_tmp '$TMP/stop-out' &&
			all_verify '$TMP/stop-out' $got"
	check "SIG$sig: the report counts what was done and lists the rest as not done" \
		bash -c "grep -q '^batch: $got signed, 0 already signed (skipped), 0 failed, $((200 - got)) not done' \
			'$TMP/stop.out' && [ \$(grep -c '^  ' '$TMP/stop.out') -eq $((200 - got)) ]"
done
"$KYSO" sign --key "$URI" --batch "$TMP/big" --out-dir "$TMP/stop-out" --resume \
	>"$TMP/stop2.out" 2>/dev/null
check "after SIGTERM, --resume signs the rest (exit 0)" \
	bash -c "[ $? -eq 0 ] && grep -q '^batch: $((200 - got)) signed, $got already signed' '$TMP/stop2.out'"

# --- what --resume takes as signed the same way, and what it signs again
mkdir "$TMP/r" "$TMP/r-in"
cp "$TMP/class/$(basename "$1")" "$TMP/r-in/t.pdf"
cp "$ROOT/docs/examples/hocba.xml" "$TMP/r-in/t.xml"
printf 'any file: a CMS signature\n' >"$TMP/r-in/t.txt"
rsign() { "$KYSO" sign --batch "$TMP/r-in" --out-dir "$TMP/r" --json "$@" 2>/dev/null; }
statuses() { "$PY" -c "import json,sys; print(' '.join(f['status'] for f in json.load(sys.stdin)['files']))"; }
rsign --key "$URI" >/dev/null
check "PDF, XML and any file (CMS) in one batch: all verify" all_verify "$TMP/r" 3 "$TMP/r-in"
check "outputs named t.pdf, t.xml, t.txt.p7s" \
	bash -c "[ -f '$TMP/r/t.pdf' ] && [ -f '$TMP/r/t.xml' ] && [ -f '$TMP/r/t.txt.p7s' ]"
check "--resume with the same key and options: all three skipped" \
	test "$(rsign --key "$URI" --resume | statuses)" = "skipped skipped skipped"
check "--resume with another digest (--md sha384): signed again" \
	test "$(rsign --key "$URI" --resume --md sha384 | statuses)" = "signed signed signed"
check "--resume with another key (the principal's EC key): signed again" \
	test "$(rsign --key "$KYSO_URI_PRINCIPAL_EC" --resume | statuses)" = "signed signed signed"
printf ' changed\n' >>"$TMP/r-in/t.txt"
"$PY" -c "
import sys
p = '$TMP/r-in/t.xml'; s = open(p, encoding='utf-8').read()
open(p, 'w', encoding='utf-8').write(s.replace('</Principal>', 'x</Principal>', 1))"
# in name order: t.pdf t.txt t.xml
check "--resume after the inputs changed: the other file and the XML signed again" \
	test "$(rsign --key "$KYSO_URI_PRINCIPAL_EC" --resume | statuses)" = "skipped signed signed"
head -c 3000 "$TMP/r/t.pdf" >"$TMP/r/cut" && mv "$TMP/r/cut" "$TMP/r/t.pdf"
printf 'garbage' >"$TMP/r/t.txt.p7s"
check "--resume over a truncated or foreign output: signed again" \
	test "$(rsign --key "$KYSO_URI_PRINCIPAL_EC" --resume | statuses)" = "signed signed skipped"
check "... and the outputs verify" all_verify "$TMP/r" 3 "$TMP/r-in"

mkdir "$TMP/x-in"
cp "$ROOT/docs/examples/hocba.xml" "$TMP/x-in/a.xml"
cp "$ROOT/docs/examples/sodiem.xml" "$TMP/x-in/b.xml"
xsign() { "$KYSO" sign --key "$URI" --batch "$TMP/x-in" --json "$@" 2>/dev/null | statuses; }
xsign --out-dir "$TMP/x-det" --xml-mode detached >/dev/null
check "detached XML signatures (NAME.sig.xml) verify over their records" \
	bash -c "for f in a b; do '$KYSO' verify '$TMP/x-det/'\$f.xml.sig.xml --content '$TMP/x-in/'\$f.xml \
		--trust '$PKI/root.pem' --revocation off >/dev/null || exit 1; done"
check "--resume takes detached XML signatures of the same records as signed" \
	test "$(xsign --out-dir "$TMP/x-det" --xml-mode detached --resume)" = "skipped skipped"
xsign --out-dir "$TMP/x-env" --xml-mode enveloping >/dev/null
check "--resume signs enveloping XML signatures again (the record is inside)" \
	test "$(xsign --out-dir "$TMP/x-env" --xml-mode enveloping --resume)" = "signed signed"

# --- usage
"$KYSO" sign --key "$URI" --batch "$TMP/class" --out-dir "$TMP/class" >/dev/null 2>"$TMP/err"
check "--out-dir the same folder as --batch: exit 3" bash -c "[ $? -eq 3 ] && grep -q 'out-dir' '$TMP/err'"
"$KYSO" sign --key "$URI" --batch "$TMP/class" >/dev/null 2>"$TMP/err"
check "--batch without --out-dir: exit 3" test $? -eq 3
"$KYSO" sign --key "$URI" --batch "$TMP/class" --out-dir "$TMP/x" --in a.pdf >/dev/null 2>&1
check "--batch with --in: exit 3" test $? -eq 3
"$KYSO" sign --key "$URI" --in "$SAMPLE" --out "$TMP/x.pdf" --resume >/dev/null 2>&1
check "--resume without --batch: exit 3" test $? -eq 3
printf '%s\n' "$TMP/class/$(basename "$1")" "$TMP/mixed/$(basename "$1")" >"$TMP/dup.list"
"$KYSO" sign --key "$URI" --batch "$TMP/dup.list" --out-dir "$TMP/dup" >/dev/null 2>"$TMP/err"
rc=$?
check "two inputs that would write one output: exit 3, nothing signed" \
	bash -c "[ $rc -eq 3 ] && grep -q 'both be written' '$TMP/err' && [ $(count "$TMP/dup") -eq 0 ]"
printf '# transcripts to sign\n\n%s\r\n%s\n' "$TMP/class/$(basename "$1")" "$TMP/r-in/t.txt" \
	>"$TMP/ok.list"
"$KYSO" sign --key "$URI" --batch "$TMP/ok.list" --out-dir "$TMP/listed" >/dev/null 2>&1
check "a list file (comment, empty line, CRLF): both files signed" \
	bash -c "[ $? -eq 0 ] && [ -f '$TMP/listed/$(basename "$1")' ] && [ -f '$TMP/listed/t.txt.p7s' ]"
KYSO_PIN=000000 "$KYSO" sign --key "$URI" --batch "$TMP/class" --out-dir "$TMP/badpin" \
	>/dev/null 2>"$TMP/err"
check "a wrong PIN: exit 1 before any file, nothing written" \
	bash -c "[ $? -eq 1 ] && [ \$(ls '$TMP/badpin' | wc -l) -eq 0 ]"

echo "1..$n"
