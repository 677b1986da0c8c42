# kyso's built-in time-stamping authority (RFC 3161) in the background on
# 127.0.0.1, with the test PKI's TSA key unless told otherwise: for
# `make run` and the tests.  Source this file, then
#
#   kyso_tsa_start KYSO_BIN LOGFILE [kyso tsa options...]
#       starts `kyso tsa --listen 127.0.0.1:0` (any free port) and waits until
#       it listens; sets KYSO_TSA_URL and KYSO_TSA_PID.  Without --key or
#       --key-file the key is $KYSO_PKI_DIR/tsa-rsa (default build/pki).
#   kyso_tsa_stop
#       SIGTERM, then waits: returns kyso tsa's exit status (0 when it
#       stopped cleanly).
#
# Both return non-zero, with the log on stderr, when the TSA does not
# come up or does not stop.

kyso_tsa_start() {
  local bin=$1 log=$2 pki=${KYSO_PKI_DIR:-build/pki} i
  local -a key=()
  shift 2
  case " $* " in
  *" --key "* | *" --key-file "*) ;;
  *) key=(--key-file "$pki/tsa-rsa.key.pem" --cert "$pki/tsa-rsa.cert.pem"
    --chain "$pki/tsa-rsa.chain.pem") ;;
  esac
  KYSO_TSA_URL= KYSO_TSA_PID=
  "$bin" tsa --listen 127.0.0.1:0 "${key[@]}" "$@" >"$log" 2>&1 &
  KYSO_TSA_PID=$!
  for ((i = 0; i < 200; i++)); do
    KYSO_TSA_URL=$(sed -n 's|^kyso tsa: listening on \(http://[^ ]*\) .*|\1|p' "$log")
    [ -n "$KYSO_TSA_URL" ] && return 0
    if ! kill -0 "$KYSO_TSA_PID" 2>/dev/null; then
      echo "kyso tsa did not start:" >&2
      cat "$log" >&2
      wait "$KYSO_TSA_PID" 2>/dev/null
      KYSO_TSA_PID=
      return 1
    fi
    sleep 0.05
  done
  echo "kyso tsa did not listen within 10 s:" >&2
  cat "$log" >&2
  kill -KILL "$KYSO_TSA_PID" 2>/dev/null
  wait "$KYSO_TSA_PID" 2>/dev/null
  KYSO_TSA_PID=
  return 1
}

kyso_tsa_stop() {
  local pid=$KYSO_TSA_PID rc i
  [ -n "$pid" ] || return 0
  KYSO_TSA_PID=
  kill -TERM "$pid" 2>/dev/null || return 1
  # kyso tsa drains for at most 5 s; anything longer is a hang.
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kyso tsa (pid $pid) did not stop on SIGTERM" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid"
  rc=$?
  return $rc
}
