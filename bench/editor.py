#!/usr/bin/env python3
"""The back office's figures: editor save latency (p50/p99 over many saves
of a real demo article, each a new revision), and the weight of the admin
pages and their assets as sent (brotli where the browser asks for it).

Usage: bench/editor.py [--saves 300] [--binary target/release/newsdesk]
Starts its own demo site on a free port in a temporary folder.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

EMAIL = "bench@example.org"
PASSWORD = "bench password 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = f"http://127.0.0.1:{self.port}"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def hidden(html, name):
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else ""


def textarea(html, name):
    m = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    import html as h
    return h.unescape(m.group(1)) if m else ""


def form_fields(html):
    import html as h
    fields = {}
    for m in re.finditer(r'<input type="(?:text|url)"[^>]*name="([^"]+)" value="([^"]*)"', html):
        fields[m.group(1)] = h.unescape(m.group(2))
    for m in re.finditer(r'<select id="(\w+)" name="\w+">(.*?)</select>', html, re.S):
        sel = re.search(r'<option value="([^"]*)" selected', m.group(2))
        fields[m.group(1)] = sel.group(1) if sel else ""
    for name in ["dek", "bylines", "body", "sources"]:
        fields[name] = textarea(html, name)
    return fields


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saves", type=int, default=300)
    ap.add_argument("--pause", type=float, default=0.0,
                    help="seconds between saves (0: back to back)")
    ap.add_argument("--binary", default="target/release/newsdesk")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="newsdesk-editor-bench.")
    port = free_port()
    env = dict(os.environ, NEWSDESK_LOG="warn")
    server = subprocess.Popen(
        [args.binary, "serve", "--demo", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        site = Site(port)
        for _ in range(300):
            try:
                if site.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        subprocess.run([args.binary, "user", "add", "--data-dir", data, "--email", EMAIL,
                        "--name", "Bench Editor", "--role", "editor", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        _, _, page = site.request("GET", "/admin/sign-in")
        csrf = hidden(page.decode(), "csrf")
        body = urllib.parse.urlencode({"csrf": csrf, "email": EMAIL, "password": PASSWORD, "next": "/admin"})
        status, _, _ = site.request("POST", "/admin/sign-in", body)
        assert status == 303, status

        # Page weights, as a browser that takes brotli gets them.
        _, _, listing = site.request("GET", "/admin/articles")
        first = re.search(r'href="/admin/articles/(\d+)"', listing.decode()).group(1)
        print("page weights (HTML + its CSS and JS, as sent with Accept-Encoding: br):")
        for path in ["/admin", "/admin/articles", f"/admin/articles/{first}", f"/admin/articles/{first}/revisions"]:
            _, h, raw = site.request("GET", path)
            _, hb, sent = site.request("GET", path, headers={"Accept-Encoding": "br"})
            assets = re.findall(r'(?:href|src)="(/assets/[^"]+\.(?:css|js))"', raw.decode())
            asset_raw = asset_sent = 0
            for a in assets:
                asset_raw += len(site.request("GET", a)[2])
                asset_sent += len(site.request("GET", a, headers={"Accept-Encoding": "br"})[2])
            print(f"  {path:<34} html {len(raw)/1024:6.1f} KiB ({len(sent)/1024:5.1f} sent)"
                  f"  assets {asset_raw/1024:6.1f} KiB ({asset_sent/1024:5.1f} sent)"
                  f"  total sent {(len(sent)+asset_sent)/1024:5.1f} KiB")

        # A new draft, for the draft half of the save figures.
        _, _, html = site.request("GET", "/admin/articles/new")
        form = {"csrf": hidden(html.decode(), "csrf"), "version": "0", "headline": "Bench draft",
                "body": "A first paragraph.", "do": "save"}
        status, h, _ = site.request("POST", "/admin/articles/new", urllib.parse.urlencode(form))
        draft = re.search(r"/admin/articles/(\d+)", h.get("location", "")).group(1)
        save_latency(site, f"/admin/articles/{draft}", args.saves, "a draft", args.pause)
        save_latency(site, f"/admin/articles/{first}", args.saves, "a published article", args.pause)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


def save_latency(site, path, saves, what, pause):
        # Save latency: load the editor once, then save it again and again,
        # each time with one more sentence (a new revision each time).
        _, _, html = site.request("GET", path)
        html = html.decode()
        fields = form_fields(html)
        version = int(hidden(html, "version"))
        csrf = hidden(html, "csrf")
        times = []
        for i in range(saves):
            fields["body"] = fields["body"].rstrip() + f"\n\nA sentence added in save {i}.\n"
            form = dict(fields, csrf=csrf, version=str(version), do="save")
            t = time.perf_counter()
            status, h, _ = site.request("POST", path, urllib.parse.urlencode(form))
            times.append((time.perf_counter() - t) * 1000)
            if status != 303 or "done=saved" not in h.get("location", ""):
                sys.exit(f"save {i} answered {status} {h.get('location')}")
            version += 1
            time.sleep(pause)
        times.sort()
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"save latency of {what} over {len(times)} saves (each a new revision): "
              f"p50 {statistics.median(times):.1f} ms, p99 {p(0.99):.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
