# Helpers of the HTTP benchmarks (sourced).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { # URL [wrk script]: 32 connections, 20 s; requests/s, errors, p50/p99
  wrk -t2 -c32 -d20s --latency -s "${2:-scripts/wrk-report.lua}" "$1" | grep -E "Requests/sec|requests|latency|Non-2xx|Socket errors"
}
once() { # URL: one request's status and time
  curl -s -o /dev/null -w "%{http_code} in %{time_total} s\n" "$1"
}
