#!/usr/bin/env python3
"""Import speed and peak memory of `newsdesk import wordpress`.

Writes a WordPress export of N posts shaped like WordPress 6's exporter
(CDATA everywhere, block markup, categories, tags, users, comments,
postmeta), then imports it with the release binary into a fresh SQLite
site (and a fresh PostgreSQL schema when --postgres URL is given), twice:
the first run imports, the second must find everything unchanged. Prints
items per second and peak resident memory (from /usr/bin/time -v or
getrusage) for each run.

    python3 bench/wxr.py --posts 50000 [--postgres postgres://postgres@127.0.0.1:5432/test]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "newsdesk")

WORDS = (
    "harbour ferry council storm quay vote budget school port mayor crew tide "
    "bridge market winter summer festival report police court river station "
    "plan housing rail road museum library hospital water power energy wind"
).split()


def sentence(rng, n=14):
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    return " ".join(w) + "."


def body(rng):
    parts = []
    for i in range(rng.randint(6, 12)):
        if i == 3:
            parts.append(
                "<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">%s</h2>\n<!-- /wp:heading -->"
                % sentence(rng, 4)[:-1]
            )
        text = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
        parts.append(
            "<!-- wp:paragraph -->\n<p>%s <em>%s</em> <a href=\"https://example.test/%d\">%s</a>.</p>\n<!-- /wp:paragraph -->"
            % (text, rng.choice(WORDS), rng.randint(1, 10**6), rng.choice(WORDS))
        )
    parts.append(
        "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>%s</p><cite>%s</cite></blockquote>\n<!-- /wp:quote -->"
        % (sentence(rng), rng.choice(WORDS).capitalize())
    )
    return "\n\n".join(parts)


def write_wxr(path, posts, seed=7):
    rng = random.Random(seed)
    cats = ["news", "city", "sport", "business", "culture", "opinion", "weather", "science",
            "health", "travel", "food", "world"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
\t<title>Bench Gazette</title>
\t<link>https://bench.test</link>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>https://bench.test</wp:base_site_url>
\t<wp:base_blog_url>https://bench.test</wp:base_blog_url>
""")
        for a in range(20):
            f.write("\t<wp:author><wp:author_id>%d</wp:author_id><wp:author_login><![CDATA[writer%d]]></wp:author_login>"
                    "<wp:author_email><![CDATA[writer%d@bench.test]]></wp:author_email><wp:author_display_name><![CDATA[Writer %d]]></wp:author_display_name>"
                    "<wp:author_first_name><![CDATA[]]></wp:author_first_name><wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>\n" % (a, a, a, a))
        for c in cats:
            f.write("\t<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[%s]]></wp:category_nicename>"
                    "<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[%s]]></wp:cat_name></wp:category>\n" % (c, c.capitalize()))
        for i in range(posts):
            pid = 1000 + i
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            year = 2010 + (i // 336) % 15
            slug = "story-%d" % pid
            title = sentence(rng, 7)[:-1]
            f.write("""
\t<item>
\t\t<title><![CDATA[%s]]></title>
\t\t<link>https://bench.test/%04d/%02d/%02d/%s/</link>
\t\t<dc:creator><![CDATA[writer%d]]></dc:creator>
\t\t<guid isPermaLink="false">https://bench.test/?p=%d</guid>
\t\t<description></description>
\t\t<content:encoded><![CDATA[%s]]></content:encoded>
\t\t<excerpt:encoded><![CDATA[%s]]></excerpt:encoded>
\t\t<wp:post_id>%d</wp:post_id>
\t\t<wp:post_date><![CDATA[%04d-%02d-%02d 10:00:00]]></wp:post_date>
\t\t<wp:post_date_gmt><![CDATA[%04d-%02d-%02d 09:00:00]]></wp:post_date_gmt>
\t\t<wp:post_name><![CDATA[%s]]></wp:post_name>
\t\t<wp:status><![CDATA[publish]]></wp:status>
\t\t<wp:post_parent>0</wp:post_parent>
\t\t<wp:post_type><![CDATA[post]]></wp:post_type>
\t\t<wp:post_password><![CDATA[]]></wp:post_password>
\t\t<wp:is_sticky>0</wp:is_sticky>
\t\t<category domain="category" nicename="%s"><![CDATA[%s]]></category>
\t\t<category domain="post_tag" nicename="%s"><![CDATA[%s]]></category>
\t\t<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key><wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>
\t\t<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_content><![CDATA[%s]]></wp:comment_content></wp:comment>
\t</item>
""" % (title, year, month, day, slug, rng.randrange(20), pid, body(rng), sentence(rng), pid,
                year, month, day, year, month, day, slug,
                cats[i % len(cats)], cats[i % len(cats)].capitalize(),
                rng.choice(WORDS), rng.choice(WORDS).capitalize(), pid, sentence(rng)))
        f.write("</channel>\n</rss>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=50000)
    ap.add_argument("--postgres", default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="wxr-bench-")
    wxr = os.path.join(work, "export.xml")
    t = time.monotonic()
    write_wxr(wxr, a.posts)
    size = os.path.getsize(wxr)
    print("export: %d posts, %.1f MB, written in %.1f s" % (a.posts, size / 1e6, time.monotonic() - t))
    targets = [("sqlite", None)]
    if a.postgres:
        targets.append(("postgres", a.postgres))
    for name, url in targets:
        env = dict(os.environ, NEWSDESK_LOG="warn")
        data = os.path.join(work, "data-" + name)
        args = ["--data-dir", data, wxr]
        if url:
            schema = "wxr_bench_%d" % os.getpid()
            subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (schema, schema)], check=True)
            sep = "&" if "?" in url else "?"
            env["NEWSDESK_DATABASE_URL"] = url + sep + "options=-csearch_path%3D" + schema
        for attempt in ("first", "again"):
            # Peak memory of each run on its own: a fresh Python child
            # measures it (RUSAGE_CHILDREN keeps the largest so far).
            code = ("import resource,subprocess,sys,time;t=time.monotonic();"
                    "p=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,stderr=subprocess.PIPE,text=True);"
                    "d=time.monotonic()-t;print(d);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
                    "print(p.returncode);sys.stdout.write(p.stdout[-600:]+p.stderr[-600:])")
            p = subprocess.run([sys.executable, "-c", code, BIN, "import", "wordpress", "--no-fetch"] + args,
                               env=env, stdout=subprocess.PIPE, text=True, check=True)
            lines = p.stdout.split("\n")
            took, peak_kb, rc = float(lines[0]), int(lines[1]), int(lines[2])
            if rc != 0:
                print("\n".join(lines[3:]))
                raise SystemExit("import failed")
            print("%-8s %-5s %7.1f s  %8.0f posts/s  peak RSS %6.1f MiB"
                  % (name, attempt, took, a.posts / took, peak_kb / 1024))
        if url:
            subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE" % schema], check=True)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
