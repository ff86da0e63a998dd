# Sourced by the benchmarks: nginx serving a folder of files, the baseline.
#
#   start_nginx WORK ROOT PORT PROBE_FILE [CONNECTIONS]
#
# writes WORK/nginx.conf (one worker, sendfile, no access log), starts nginx
# pinned to CPU 0 with its pid in NGINX_PID, and waits until ROOT/PROBE_FILE
# is served. CONNECTIONS (default 1024) is the worker's connection limit.
start_nginx() {
  local work=$1 root=$2 port=$3 probe=$4 connections=${5:-1024}
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $((connections * 2));
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections $connections; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { text/html html; }
  server {
    listen 127.0.0.1:$port;
    root $root;
    location / { try_files \$uri =404; }
  }
}
CONF
  taskset -c 0 nginx -c "$work/nginx.conf" -p "$work" &
  NGINX_PID=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/$probe" 2>/dev/null && return; sleep 0.05; done
  echo "bench: nginx did not start" >&2; exit 1
}
