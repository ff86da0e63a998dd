#!/usr/bin/env python3
"""Content API latency and webhook delivery delay over a large newsroom.

    bench/api.py                       # 10,000 articles, SQLite
    bench/api.py --articles 1000
    bench/api.py --database postgres://postgres@127.0.0.1:5432/bench   # an empty database

Seeds the demo newsroom (release build), starts `newsdesk serve` pinned to
CPU 0 and, from CPU 1, one request at a time over one keep-alive connection:

  - the article list: 200 different pages of 20 (walking the cursor, and
    the first pages of each section), each asked three times: built from
    the database (uncached), from the API's memory (cached), and with
    `If-None-Match` (304);
  - one article: 200 different ids, the same three ways;
  - webhooks: 20 articles written and published through the Admin API,
    each delivery received by a receiver in this script; the delay is from
    the publish call's answer to the delivery's arrival.

Prints p50 / p99 / max in milliseconds and writes them to bench/out/api.md.
Needs only python3 (and taskset, when present).
"""

import argparse
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int((len(s) - 1) * p / 100))]


def summary(samples):
    return f"{pct(samples, 50):.2f} / {pct(samples, 99):.2f} / {max(samples):.2f}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """One keep-alive connection; each call returns (status, headers, body, ms)."""

    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.key = key

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.key}"}
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # The server closes keep-alive connections idle for 5 s.
                self.conn.close()
                if attempt == 2:
                    raise
                continue
            ms = (time.perf_counter() - t0) * 1000
            return r.status, dict(r.getheaders()), data, ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--database")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "newsdesk")
    work = tempfile.mkdtemp(prefix="newsdesk-api-bench.")
    data = os.path.join(work, "data")
    os.makedirs(data)
    with open(os.path.join(data, "newsdesk.toml"), "w") as f:
        f.write("[api]\nwebhooks_allow_private = true\ncontent_requests_per_minute = 0\n"
                "admin_requests_per_minute = 0\n")
    db = ["--database", args.database] if args.database else []
    env = dict(os.environ, NEWSDESK_LOG="warn")
    server = None
    try:
        t0 = time.time()
        subprocess.run([binary, "demo", "--articles", str(args.articles), "--seed", "11",
                        "--data-dir", data, *db], check=True, env=env, stdout=subprocess.DEVNULL)
        seed_s = time.time() - t0

        def cli(*a, stdin=None):
            return subprocess.run([binary, *a, "--data-dir", data, *db], check=True, env=env,
                                  input=stdin, capture_output=True, text=True).stdout.strip()

        cli("user", "add", "--email", "bench@example.com", "--name", "Bench", "--role", "editor",
            "--password-stdin", stdin="bench-password-123\n")
        token = cli("token", "create", "--email", "bench@example.com", "--name", "bench")
        content_key = cli("token", "content-key", "--name", "bench")

        # The webhook receiver: arrival times by article id.
        arrived = {}
        lock = threading.Lock()

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.perf_counter()
                msg = json.loads(body)
                if msg.get("event") == "article.published":
                    with lock:
                        arrived.setdefault(msg["data"]["article"]["id"], now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        cli("webhook", "add", "--name", "bench", "--url", hook_url, "--event", "article.published")

        port = free_port()
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        server = subprocess.Popen([*pin, binary, "serve", "--data-dir", data, *db, "--listen",
                                   f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(400):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        # The demo queues renditions of its pictures and a rebuild of the
        # related stories; each changes what readers see and empties the
        # API's memory. Measure once they are done, as on a site at rest.
        for _ in range(900):
            if all("No jobs." in cli("jobs", "list", "--state", s) for s in ("queued", "running")):
                break
            time.sleep(1)
        if hasattr(os, "sched_setaffinity") and pin:
            os.sched_setaffinity(0, {1})

        content = Api(port, content_key)
        # Up to 200 different list pages: the first of each section, then walking
        # the cursor. Each is asked three times: first built from the
        # database (uncached), then from the API's memory (cached), then
        # with the ETag (304).
        urls = [f"/api/content/articles?section={s}" for s in
                ["world", "politics", "national", "business", "sports", "culture"]]
        list_uncached, ids = [], []
        cursor = None
        for u in urls:
            status, _, body, ms = content.call("GET", u)
            assert status == 200, (status, body[:200])
            list_uncached.append(ms)
        while len(urls) < 200:
            path = "/api/content/articles?limit=20" + (f"&cursor={cursor}" if cursor else "")
            status, _, body, ms = content.call("GET", path)
            assert status == 200, (status, body[:200])
            if path not in urls:
                urls.append(path)
                list_uncached.append(ms)
            page = json.loads(body)
            ids.extend(a["id"] for a in page["articles"])
            cursor = page["meta"]["next"]
            if cursor is None:
                break  # a small archive has fewer pages
        list_cached, list_304, etags = [], [], {}
        for u in urls:
            status, h, _, ms = content.call("GET", u)
            assert status == 200
            list_cached.append(ms)
            etags[u] = h.get("ETag") or h.get("etag")
        for u in urls:
            status, _, _, ms = content.call("GET", u, headers={"If-None-Match": etags[u]})
            assert status == 304, status
            list_304.append(ms)
        ids = ids[:: max(1, len(ids) // 200)][:200]
        item_uncached, item_cached, item_304, item_etags = [], [], [], {}
        for i in ids:
            status, _, _, ms = content.call("GET", f"/api/content/articles/{i}")
            assert status == 200
            item_uncached.append(ms)
        for i in ids:
            status, h, _, ms = content.call("GET", f"/api/content/articles/{i}")
            assert status == 200
            item_cached.append(ms)
            item_etags[i] = h.get("ETag") or h.get("etag")
        for i in ids:
            status, _, _, ms = content.call("GET", f"/api/content/articles/{i}",
                                            headers={"If-None-Match": item_etags[i]})
            assert status == 304
            item_304.append(ms)

        admin = Api(port, token)
        publish_ms, delays = [], []
        for n in range(20):
            status, _, body, _ = admin.call("POST", "/api/admin/articles", {"article": {
                "headlines": {"display": f"Benchmark story {n}"}, "section_id": 1,
                "bylines": [{"type": "credit", "text": "Bench desk"}],
                "body_markdown": "Words for the benchmark."}})
            assert status == 201, body[:300]
            made = json.loads(body)["article"]
            aid = made["id"]
            status, _, body, ms = admin.call("POST", f"/api/admin/articles/{aid}/publish",
                                             {"version": made["version"]})
            assert status == 200, body[:300]
            answered = time.perf_counter()
            publish_ms.append(ms)
            deadline = answered + 30
            while time.perf_counter() < deadline:
                with lock:
                    got = arrived.get(aid)
                if got:
                    delays.append((got - answered) * 1000)
                    break
                time.sleep(0.001)
            else:
                sys.exit(f"no delivery for article {aid} within 30 s")
        rss = ""
        with open(f"/proc/{server.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    rss = f"{int(line.split()[1]) / 1024:.1f}"

        backend = "postgres" if args.database else "sqlite"
        lines = [
            f"# Content API and webhooks, {args.articles} articles, {backend}",
            "",
            f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}; server on CPU 0, one request at a "
            "time from CPU 1 over one keep-alive connection; ms as p50 / p99 / max.",
            "",
            "| articles | seed s | list uncached | list cached | list 304 | article uncached | "
            "article cached | article 304 | publish via API (20) | webhook delay after publish (20) "
            "| peak RSS MiB |",
            "|---:|---:|---|---|---|---|---|---|---|---|---:|",
            f"| {args.articles} | {seed_s:.0f} | {summary(list_uncached)} | {summary(list_cached)} | "
            f"{summary(list_304)} | {summary(item_uncached)} | {summary(item_cached)} | "
            f"{summary(item_304)} | {summary(publish_ms)} | {summary(delays)} | {rss} |",
        ]
        out = "\n".join(lines)
        print(out)
        os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "out", "api.md"), "a") as f:
            f.write(out + "\n\n")
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
