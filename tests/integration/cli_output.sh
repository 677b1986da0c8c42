#!/usr/bin/env bash
# Where `kyso sign` writes, as a careless or hostile user would try it
# (docs/cli.md, "Output files"):
#   - an output that exists and is not a regular file (a device node such
#     as /dev/null or /dev/full, a symbolic link to one, a FIFO, a
#     directory) is refused and left as it was; a symbolic link to a
#     regular file is followed and its target replaced; a dangling one is
#     refused;
#   - `--out -` writes the finished result to standard output, never a
#     file named "-"; a write error there (/dev/full) is an error;
#   - SIGINT, SIGTERM or SIGHUP while a ~300 MB PDF is being signed leave
#     no temporary file; after SIGKILL the next run removes it;
#   - a new output file gets 0666 minus the umask, a replaced one keeps
#     its mode.
# Device nodes are private copies made with mknod in the test directory
# (never the machine's /dev/null) when the test runs as root.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
unset KYSO_PIN KYSO_KEY_PASS

KEY=(--key-file "$PKI/principal-rsa.key.pem" --cert "$PKI/principal-rsa.cert.pem"
	--chain "$PKI/principal-rsa.chain.pem")
DOC=$TMP/so-diem.csv
printf 'STT,Ho ten,Diem\n1,Nguyen Van An,9.5\n' >"$DOC"

# ksign ARGS...: sign with the file key; stdout in $TMP/stdout, stderr in $TMP/err.
ksign() { "$KYSO" sign "${KEY[@]}" "$@" >"$TMP/stdout" 2>"$TMP/err"; }
# temps DIR: temporary output files left in DIR.
temps() { find "$1" -maxdepth 1 -name '*.tmp.*' | wc -l; }
# Run a command with SIGINT, SIGTERM and SIGHUP at their default action (a
# background job of a script starts with SIGINT ignored); exec, so that $!
# is the command's own process.
dflt() {
	exec python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
ms() { date +%s%3N; }

# ---- 1. outputs that are not regular files
DEV=$TMP/dev
mkdir -p "$DEV"
if mknod "$DEV/null" c 1 3 2>/dev/null && mknod "$DEV/full" c 1 7 2>/dev/null; then
	NULLDEV=$DEV/null FULLDEV=$DEV/full
else
	# Not root: the real nodes, which an unprivileged rename cannot touch.
	NULLDEV=/dev/null FULLDEV=/dev/full
fi
ln -s "$NULLDEV" "$DEV/stdout-link"
mkfifo "$DEV/fifo.p7s"
mkdir "$DEV/dir.p7s"

refused_output() { # NAME TARGET TEST-AFTER [sign options]
	local name=$1 target=$2 still=$3 rc t0 t1
	shift 3
	t0=$(ms)
	timeout 10 "$KYSO" sign "${KEY[@]}" --out "$target" "$@" >"$TMP/stdout" 2>"$TMP/err"
	rc=$?
	t1=$(ms)
	if [ "$rc" -eq 3 ] && eval "$still" && [ "$(temps "$(dirname "$target")")" -eq 0 ] &&
		[ $((t1 - t0)) -lt 1000 ] && grep -q "not a regular file" "$TMP/err"; then
		ok "$name: refused (exit 3), left as it was"
	else
		notok "$name: refused (exit 3), left as it was" "exit $rc, $((t1 - t0)) ms" \
			"$(cat "$TMP/err")" "$(ls -la "$(dirname "$target")")"
	fi
}
refused_output "--out a character device (CMS)" "$NULLDEV" "[ -c '$NULLDEV' ]" --in "$DOC"
refused_output "--out a character device (PDF)" "$NULLDEV" "[ -c '$NULLDEV' ]" --in "$SAMPLE"
refused_output "--out /dev/full-like device" "$FULLDEV" "[ -c '$FULLDEV' ]" --in "$DOC"
refused_output "--out a symbolic link to a device" "$DEV/stdout-link" \
	"[ -L '$DEV/stdout-link' ] && [ -c '$NULLDEV' ]" --in "$SAMPLE"
refused_output "--out a FIFO (no reader: no hang)" "$DEV/fifo.p7s" "[ -p '$DEV/fifo.p7s' ]" --in "$DOC"
refused_output "--out a directory" "$DEV/dir.p7s" "[ -d '$DEV/dir.p7s' ]" --in "$DOC"

# A symbolic link to a regular file: the target is replaced, the link stays.
mkdir -p "$TMP/ln"
echo old >"$TMP/ln/real.p7s"
ln -s real.p7s "$TMP/ln/link.p7s"
if ksign --in "$DOC" --out "$TMP/ln/link.p7s" && [ -L "$TMP/ln/link.p7s" ] &&
	[ "$(readlink "$TMP/ln/link.p7s")" = real.p7s ] && [ "$(temps "$TMP/ln")" -eq 0 ] &&
	"$KYSO" verify "$TMP/ln/real.p7s" --content "$DOC" --trust "$PKI/root.pem" --revocation off >/dev/null 2>&1; then
	ok "--out a symbolic link to a file: the target is replaced, the link kept"
else
	notok "--out a symbolic link to a file: the target is replaced, the link kept" \
		"$(cat "$TMP/err")" "$(ls -la "$TMP/ln")"
fi
ln -s missing.p7s "$TMP/ln/dangling.p7s"
ksign --in "$DOC" --out "$TMP/ln/dangling.p7s"
rc=$?
if [ "$rc" -eq 3 ] && [ ! -e "$TMP/ln/missing.p7s" ] && [ -L "$TMP/ln/dangling.p7s" ]; then
	ok "--out a dangling symbolic link: refused"
else
	notok "--out a dangling symbolic link: refused" "exit $rc" "$(cat "$TMP/err")"
fi

# --out - : standard output, after the signature is complete.
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$KYSO" sign "${KEY[@]}" --in "$DOC" --out - >"$TMP/stdout.p7s" 2>"$TMP/err")
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$TMP/cwd/-" ] &&
	"$KYSO" verify "$TMP/stdout.p7s" --content "$DOC" --trust "$PKI/root.pem" --revocation off >/dev/null 2>&1; then
	ok "--out - (CMS): the signature on standard output, no file named '-'"
else
	notok "--out - (CMS): the signature on standard output, no file named '-'" "exit $rc" \
		"$(cat "$TMP/err")" "$(ls -la "$TMP/cwd")"
fi
(cd "$TMP/cwd" && "$KYSO" sign "${KEY[@]}" --in "$SAMPLE" --out - >"$TMP/stdout.pdf" 2>"$TMP/err")
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$TMP/cwd/-" ] &&
	"$KYSO" verify "$TMP/stdout.pdf" --trust "$PKI/root.pem" --revocation off >/dev/null 2>&1; then
	ok "--out - (PDF): the signed PDF on standard output, and only it"
else
	notok "--out - (PDF): the signed PDF on standard output, and only it" "exit $rc" \
		"$(cat "$TMP/err")"
fi
(cd "$TMP/cwd" && "$KYSO" sign "${KEY[@]}" --in "$SAMPLE" --out - >/dev/full 2>"$TMP/err")
rc=$?
if [ "$rc" -eq 3 ] && [ ! -e "$TMP/cwd/-" ] && grep -qi "standard output" "$TMP/err"; then
	ok "--out - into /dev/full: a write error, exit 3"
else
	notok "--out - into /dev/full: a write error, exit 3" "exit $rc" "$(cat "$TMP/err")"
fi
(cd "$TMP/cwd" && "$KYSO" sign "${KEY[@]}" --in "$DOC" --format pdf --out - >"$TMP/none" 2>"$TMP/err")
rc=$?
if [ "$rc" -eq 3 ] && [ ! -s "$TMP/none" ]; then
	ok "--out - and a failed signature: nothing on standard output"
else
	notok "--out - and a failed signature: nothing on standard output" "exit $rc" \
		"$(head -c 200 "$TMP/none" | od -c | head -3)"
fi

# ---- 2. signals during a large signature
SIG=$TMP/sig
mkdir -p "$SIG"
python3 "$ROOT/tests/lib/mkbigpdf.py" "$SIG/big.pdf" $((300 << 20))
for s in INT TERM HUP; do
	rm -f "$SIG"/out.pdf*
	t0=$(ms)
	dflt "$KYSO" sign "${KEY[@]}" --in "$SIG/big.pdf" --out "$SIG/out.pdf" >/dev/null 2>"$TMP/err" &
	pid=$!
	# Wait until the temporary file exists and 0.15 s have passed.
	for _ in $(seq 500); do
		[ "$(temps "$SIG")" -gt 0 ] && [ $(($(ms) - t0)) -ge 150 ] && break
		sleep 0.01
	done
	had=$(temps "$SIG")
	alive=no
	kill -0 "$pid" 2>/dev/null && alive=yes
	kill -s "$s" "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	want=$((128 + $(kill -l "$s")))
	if [ "$had" -gt 0 ] && [ "$alive" = yes ] && [ "$st" -eq "$want" ] &&
		[ "$(temps "$SIG")" -eq 0 ] && [ ! -e "$SIG/out.pdf" ]; then
		ok "SIG$s during a 300 MB signature: ended by the signal, no temporary file left"
	else
		notok "SIG$s during a 300 MB signature: ended by the signal, no temporary file left" \
			"temp seen: $had, alive at the signal: $alive, status $st (want $want)" \
			"$(ls -la "$SIG")"
	fi
done
# SIGKILL cannot be caught: the next run for the same output removes what
# it left (and only what a dead process left).
rm -f "$SIG"/out.pdf*
"$KYSO" sign "${KEY[@]}" --in "$SIG/big.pdf" --out "$SIG/out.pdf" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 500); do
	[ "$(temps "$SIG")" -gt 0 ] && break
	sleep 0.01
done
sleep 0.1
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
left=$(temps "$SIG")
KYSO_LOG=info "$KYSO" sign "${KEY[@]}" --in "$SAMPLE" --out "$SIG/out.pdf" >/dev/null 2>"$TMP/err"
rc=$?
if [ "$left" -eq 1 ] && [ "$rc" -eq 0 ] && [ "$(temps "$SIG")" -eq 0 ] &&
	grep -q "stale temporary" "$TMP/err"; then
	ok "SIGKILL: the next signature of the same output removes the stale temporary file"
else
	notok "SIGKILL: the next signature of the same output removes the stale temporary file" \
		"left by SIGKILL: $left, next run exit $rc" "$(cat "$TMP/err")" "$(ls -la "$SIG")"
fi
rm -f "$SIG/big.pdf"

# ---- 3. mode of the output
MODE=$TMP/mode
mkdir -p "$MODE"
mode_of() { stat -c %a "$1"; }
for spec in "077:600" "022:644" "027:640"; do
	um=${spec%%:*} want=${spec##*:}
	rm -f "$MODE/new.p7s" "$MODE/new.pdf"
	(umask "$um" && ksign --in "$DOC" --out "$MODE/new.p7s")
	a=$(mode_of "$MODE/new.p7s" 2>/dev/null)
	(umask "$um" && ksign --in "$SAMPLE" --out "$MODE/new.pdf")
	b=$(mode_of "$MODE/new.pdf" 2>/dev/null)
	if [ "$a" = "$want" ] && [ "$b" = "$want" ]; then
		ok "umask $um: a new output file is $want"
	else
		notok "umask $um: a new output file is $want" "CMS $a, PDF $b"
	fi
done
for m in 600 640 664; do
	echo old >"$MODE/keep.p7s"
	echo old >"$MODE/keep.pdf"
	chmod "$m" "$MODE/keep.p7s" "$MODE/keep.pdf"
	(umask 022 && ksign --in "$DOC" --out "$MODE/keep.p7s" && ksign --in "$SAMPLE" --out "$MODE/keep.pdf")
	a=$(mode_of "$MODE/keep.p7s") b=$(mode_of "$MODE/keep.pdf")
	if [ "$a" = "$m" ] && [ "$b" = "$m" ] && ! grep -q '^old$' "$MODE/keep.p7s"; then
		ok "a replaced output file keeps its mode $m"
	else
		notok "a replaced output file keeps its mode $m" "CMS $a, PDF $b" "$(cat "$TMP/err")"
	fi
done

echo "1..$n"
