# kyso serve in the background on 127.0.0.1 for the tests and benchmarks.
# Source this file, then
#
#   kyso_serve_start KYSO_BIN CONFIG LOGFILE
#       starts `kyso serve --config CONFIG --listen 127.0.0.1:0` (any free
#       port) and waits until it listens; sets KYSO_SERVE_URL and
#       KYSO_SERVE_PID.
#   kyso_serve_stop
#       SIGTERM, then waits: returns the daemon's exit status.
#
# Both return non-zero, with the log on stderr, when the daemon does not
# come up or does not stop within 20 s.

kyso_serve_start() {
  local bin=$1 conf=$2 log=$3 i
  KYSO_SERVE_URL= KYSO_SERVE_PID=
  # emptied here, not by the background job's redirection: read before
  # that ran, a log reused across restarts would name the old port
  : >"$log"
  "$bin" serve --config "$conf" --listen 127.0.0.1:0 >"$log" 2>&1 &
  KYSO_SERVE_PID=$!
  for ((i = 0; i < 400; i++)); do
    KYSO_SERVE_URL=$(sed -n 's|^kyso serve: listening on \(http://[^ ]*\)/ .*|\1|p' "$log")
    [ -n "$KYSO_SERVE_URL" ] && return 0
    if ! kill -0 "$KYSO_SERVE_PID" 2>/dev/null; then
      echo "kyso serve did not start:" >&2
      cat "$log" >&2
      wait "$KYSO_SERVE_PID" 2>/dev/null
      KYSO_SERVE_PID=
      return 1
    fi
    sleep 0.05
  done
  echo "kyso serve did not listen within 20 s:" >&2
  cat "$log" >&2
  kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  wait "$KYSO_SERVE_PID" 2>/dev/null
  KYSO_SERVE_PID=
  return 1
}

kyso_serve_stop() {
  local pid=$KYSO_SERVE_PID rc i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 400; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kyso serve did not stop within 20 s" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid"
  rc=$?
  KYSO_SERVE_PID=
  return $rc
}
