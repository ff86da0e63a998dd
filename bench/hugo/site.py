#!/usr/bin/env python3
"""Writes a Hugo site of N news articles, the same-size baseline for
`bench/static.sh`: a home page and section, tag and author pages paginated
by 20, an article page with its lead image, captions and credits, 2-3
subheads and 700-1,000 words, and an RSS feed per list, like the demo
newsroom that `newsdesk demo --articles N` seeds.

Usage: python3 bench/hugo/site.py N DIR [--related]    (then: hugo -s DIR)
Same N, same site: the text comes from a seeded generator.

Without `--related` the site is shaped like the one of
../shared/bench/ANCHORS.md (no related-stories list; 2,931 HTML files at
2,000 articles against its 2,868, and about the 4.2 s of Hugo CPU it
measured there). With it, each article lists four related stories by
shared tags, as Newsdesk's pages do; Hugo works those out on every build,
at a cost that grows with the square of the archive.
"""
import datetime as dt
import os
import random
import sys

SECTIONS = ["World", "Politics", "Business", "Science", "Culture", "Sport"]
WORDS = ("council budget river vote school harbour court strike season energy "
         "water market rail housing museum election clinic bridge police farm "
         "festival tariff port league storm drought reform museum union data").split()
NAMES = ["Ann Lee", "Bo Chan", "Carla Ruiz", "Dev Patel", "Eva Novak", "Femi Ade",
         "Gus Moreau", "Hana Ito", "Ian Osei", "Jo Santos", "Kai Berg", "Lena Petrov"]


def sentence(r):
    words = [r.choice(WORDS) for _ in range(r.randint(10, 22))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(r):
    return " ".join(sentence(r) for _ in range(r.randint(3, 5)))


def article(r, i, when):
    section = r.choice(SECTIONS)
    head = " ".join(r.choice(WORDS) for _ in range(7)).capitalize()
    slug = f"{head.lower().replace(' ', '-')}-{i}"
    tags = r.sample(WORDS, r.randint(3, 6))
    pars = [paragraph(r) for _ in range(r.randint(9, 13))]
    subs = sorted(r.sample(range(2, len(pars)), r.randint(2, 3)))
    body = []
    for k, p in enumerate(pars):
        if k in subs:
            body.append(f"## {sentence(r)[:-1]}\n")
        if k == len(pars) // 2 and r.random() < 0.5:
            body.append(f'{{{{< figure src="/media/{slug}-2.jpg" alt="{sentence(r)[:-1]}" '
                        f'caption="{sentence(r)}" attr="Photo: {r.choice(NAMES)}" >}}}}\n')
        body.append(p + "\n")
    front = [
        "---",
        f'title: "{head}"',
        f"date: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f'slug: "{slug}"',
        f'description: "{sentence(r)}"',
        f'categories: ["{section}"]',
        "tags: [" + ", ".join(f'"{t}"' for t in tags) + "]",
        f'authors: ["{r.choice(NAMES)}"]',
        f'lead: "/media/{slug}-1.jpg"',
        f'lead_alt: "{sentence(r)[:-1]}"',
        f'lead_caption: "{sentence(r)}"',
        f'lead_credit: "Photo: {r.choice(NAMES)}"',
        "---",
        "",
    ]
    return section.lower(), slug, "\n".join(front) + "\n".join(body)


LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} | {{ .Site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ .Site.Title }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
<style>body{font:18px/1.5 Georgia,serif;max-width:40rem;margin:auto;padding:1rem}img{max-width:100%;height:auto}</style>
</head><body>
<header><a href="/">{{ .Site.Title }}</a><nav>{{ range .Site.Taxonomies.categories }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>&copy; {{ .Site.Title }}</footer>
</body></html>
""",
    "_default/single.html": """{{ define "main" }}<article>
<p><a href="{{ range first 1 (.GetTerms "categories") }}{{ .RelPermalink }}{{ end }}">{{ range first 1 (.GetTerms "categories") }}{{ .Title }}{{ end }}</a></p>
<h1>{{ .Title }}</h1><p>{{ .Description }}</p>
<p>By {{ range .GetTerms "authors" }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "January 2, 2006" }}</time></p>
<figure><img src="{{ .Params.lead }}" alt="{{ .Params.lead_alt }}" width="1200" height="800"><figcaption>{{ .Params.lead_caption }} <small>{{ .Params.lead_credit }}</small></figcaption></figure>
{{ .Content }}
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</p>
RELATED
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<img src="{{ .Params.lead }}" alt="{{ .Params.lead_alt }}" width="400" height="225"><p>{{ .Description }}</p>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "January 2, 2006" }}</time></article>
{{ end }}
{{ with .Paginator.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }} {{ with .Paginator.Next }}<a href="{{ .URL }}">Older</a>{{ end }}
{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
}


RELATED = ('<aside><h2>Related</h2><ul>{{ range first 4 (.Site.RegularPages.Related .) }}'
           '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></aside>\n')


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    related = "--related" in sys.argv[3:]
    LAYOUTS["_default/single.html"] = LAYOUTS["_default/single.html"].replace(
        "RELATED\n", RELATED if related else "")
    r = random.Random(20261202)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    for name, text in LAYOUTS.items():
        path = os.path.join(out, "layouts", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    with open(os.path.join(out, "hugo.toml"), "w") as f:
        f.write('baseURL = "http://127.0.0.1:8099/"\ntitle = "The Daily Bench"\n'
                "paginate = 20\ndisableKinds = [\"sitemap\"]\n"
                '[permalinks]\n' + "".join(f'{s.lower()} = "/{s.lower()}/:slug/"\n' for s in SECTIONS)
                + '[taxonomies]\ncategory = "categories"\ntag = "tags"\nauthor = "authors"\n'
                "[related]\nincludeNewer = true\nthreshold = 0\ntoLower = false\n"
                '[[related.indices]]\nname = "tags"\nweight = 100\n')
    for i in range(n):
        section, slug, text = article(r, i, start + dt.timedelta(minutes=97 * i))
        d = os.path.join(out, "content", section)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, slug + ".md"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
