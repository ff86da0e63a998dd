#!/usr/bin/env python3
"""Scheduled publishing: the delay from each article's scheduled time to
its publication, over many schedules, with the server killed (SIGKILL) and
started again half-way, as a crash or a deploy would.

Each article is written and scheduled through the back office's forms
(the same use cases an editor's browser calls), a fraction of a second
apart; the publication time is the article's first-published time as
stored, read from the SQLite file after the run. Every article must be
published exactly once: one "article.published" event each. The demo
site's time zone is UTC, so the times the script types are UTC.

Usage: bench/schedule.py [--articles 100] [--down SECONDS] [--binary target/release/newsdesk]
(--down keeps the server down that long after the kill: the articles due
meanwhile are published on restart, late by about that much.)
"""

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from editor import EMAIL, PASSWORD, Site, free_port, hidden  # noqa: E402


def start(binary, data, port):
    env = dict(os.environ, NEWSDESK_LOG="warn")
    args = [binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"]
    if not os.path.exists(os.path.join(data, "newsdesk.db")):
        args.insert(2, "--demo")
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    site = Site(port)
    started = time.monotonic()
    while True:
        try:
            if site.request("GET", "/healthz")[0] == 200:
                return server, time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > 60:
            sys.exit("the server did not start")
        time.sleep(0.05)


def sign_in(site):
    site.cookies.clear()
    _, _, page = site.request("GET", "/admin/sign-in")
    body = urllib.parse.urlencode({"csrf": hidden(page.decode(), "csrf"), "email": EMAIL,
                                   "password": PASSWORD, "next": "/admin"})
    status, _, _ = site.request("POST", "/admin/sign-in", body)
    assert status == 303, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--spacing", type=float, default=0.3, help="seconds between scheduled times")
    ap.add_argument("--binary", default="target/release/newsdesk")
    ap.add_argument("--keep", action="store_true", help="keep the data folder and say where")
    ap.add_argument("--down", type=float, default=0.0,
                    help="seconds the server stays down after the kill (catching up after)")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="newsdesk-schedule-bench.")
    port = free_port()
    server, _ = start(args.binary, data, port)
    try:
        subprocess.run([args.binary, "user", "add", "--data-dir", data, "--email", EMAIL,
                        "--name", "Bench Editor", "--role", "editor", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        site = Site(port)
        sign_in(site)
        _, _, html = site.request("GET", "/admin/articles/new")
        html = html.decode()
        section = re.search(r'<select id="section" name="section">.*?<option value="(\d+)"', html, re.S).group(1)

        # Drafts first, then every schedule, so the times are close together.
        ids = []
        for i in range(args.articles):
            _, _, html = site.request("GET", "/admin/articles/new")
            form = {"csrf": hidden(html.decode(), "csrf"), "version": "0",
                    "headline": f"Scheduled story {i}", "section": section,
                    "bylines": "credit: Bench desk", "body": f"Paragraph of story {i}.", "do": "save"}
            status, h, _ = site.request("POST", "/admin/articles/new", urllib.parse.urlencode(form))
            assert status == 303, (status, h)
            ids.append(int(re.search(r"/admin/articles/(\d+)", h["location"]).group(1)))
        first_due = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=15)
        due = {}
        for i, id_ in enumerate(ids):
            at = first_due + dt.timedelta(seconds=round(i * args.spacing))
            _, _, html = site.request("GET", f"/admin/articles/{id_}")
            html = html.decode()
            form = {"csrf": hidden(html, "csrf"), "version": hidden(html, "version"),
                    "headline": f"Scheduled story {i}", "section": section,
                    "bylines": "credit: Bench desk", "body": f"Paragraph of story {i}.",
                    "schedule_at": at.strftime("%Y-%m-%dT%H:%M:%S"), "do": "schedule"}
            status, h, _ = site.request("POST", f"/admin/articles/{id_}", urllib.parse.urlencode(form))
            assert status == 303 and "done=schedule" in h.get("location", ""), (status, h)
            due[id_] = at
        if dt.datetime.now(dt.timezone.utc) >= first_due:
            sys.exit("scheduling took longer than the lead time; use fewer articles")

        # Half-way through the due times, the server is killed and started again.
        last_due = max(due.values())
        middle = first_due + (last_due - first_due) / 2
        time.sleep(max(0.0, (middle - dt.datetime.now(dt.timezone.utc)).total_seconds()))
        server.send_signal(signal.SIGKILL)
        server.wait()
        killed_at = dt.datetime.now(dt.timezone.utc)
        time.sleep(args.down)
        server, startup = start(args.binary, data, port)
        back_at = dt.datetime.now(dt.timezone.utc)
        time.sleep(max(0.0, (last_due - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 8)
    finally:
        server.terminate()
        server.wait()

    db = sqlite3.connect(os.path.join(data, "newsdesk.db"))
    delays, missing = [], []
    for id_, at in due.items():
        row = db.execute("SELECT status, first_published_at FROM articles WHERE id = ?", (id_,)).fetchone()
        if row[0] != "published":
            missing.append(id_)
            continue
        published = dt.datetime.fromisoformat(row[1].replace(" ", "T"))
        delays.append((published - at).total_seconds() * 1000)
    # Published exactly once: one "article.published" event per article
    # (a second publication would record a second one).
    counts = {}
    for (payload,) in db.execute("SELECT payload FROM events WHERE kind = 'article.published'"):
        try:
            id_ = json.loads(payload).get("id")
        except ValueError:
            continue
        counts[id_] = counts.get(id_, 0) + 1
    twice = [i for i in due if counts.get(i, 0) > 1]
    db.close()
    if args.keep:
        print(f"data kept in {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
    delays.sort()
    down = (back_at - killed_at).total_seconds()
    print(f"{len(due)} articles scheduled {args.spacing}s apart; server killed (SIGKILL) half-way "
          f"and back after {down:.2f} s (startup {startup:.2f} s)")
    print(f"published: {len(delays)}, not published: {len(missing)}, published twice: {len(twice)}")
    if delays:
        print(f"delay from scheduled time to publication: p50 {statistics.median(delays):.0f} ms, "
              f"p90 {delays[int(0.9 * (len(delays) - 1))]:.0f} ms, max {delays[-1]:.0f} ms, "
              f"min {delays[0]:.0f} ms")
    if missing or twice:
        sys.exit(1)


if __name__ == "__main__":
    main()
