"""Uses a Python client generated from /api/openapi.json against a running
Newsdesk server: reads published content with a content key, then writes,
illustrates-free, publishes, corrects and unpublishes an article with an admin
token, and checks that errors arrive in the documented shape.

Run by the test `a_client_generated_from_the_openapi_document_works`, which
generates the `newsdesk_api` package first and passes the server and keys in
the environment: NEWSDESK_BASE, NEWSDESK_CONTENT_KEY, NEWSDESK_ADMIN_TOKEN,
NEWSDESK_SECTION_ID.
"""

import os
import sys

from newsdesk_api import AuthenticatedClient
from newsdesk_api.api.admin import change_article_status, create_article, find_article, update_article
from newsdesk_api.api.content import (
    find_published_article,
    list_published_articles,
    list_sections,
    search_articles,
)
from newsdesk_api.models import (
    ArticleEnvelope,
    ArticleFields,
    ArticleList,
    ArticleWriteRequest,
    ErrorBody,
    HeadlineSet,
    SectionList,
    Step,
    StepRequest,
)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


base = os.environ["NEWSDESK_BASE"]
content = AuthenticatedClient(base_url=base, token=os.environ["NEWSDESK_CONTENT_KEY"])
admin = AuthenticatedClient(base_url=base, token=os.environ["NEWSDESK_ADMIN_TOKEN"])
section_id = int(os.environ["NEWSDESK_SECTION_ID"])

# Reading: a page, the next page by its cursor, sections.
first = list_published_articles.sync(client=content, limit=2)
check(isinstance(first, ArticleList), f"a list of articles: {first!r}")
check(len(first.articles) == 2, "two articles on the first page")
check(isinstance(first.meta.next_, str), "a cursor to the next page")
second = list_published_articles.sync(client=content, limit=2, cursor=first.meta.next_)
check(isinstance(second, ArticleList), "a second page")
check(
    not {a.id for a in first.articles} & {a.id for a in second.articles},
    "pages do not overlap",
)
sections = list_sections.sync(client=content)
check(isinstance(sections, SectionList) and sections.sections, "sections")

# Writing: a draft, an update on its version, publication.
made = create_article.sync(
    client=admin,
    body=ArticleWriteRequest(
        article=ArticleFields(
            headlines=HeadlineSet(display="Generated clients welcome"),
            section_id=section_id,
            body_markdown="A client generated from the **OpenAPI** document wrote this.",
        )
    ),
)
check(isinstance(made, ArticleEnvelope), f"a new draft: {made!r}")
article = made.article
check(article.status == "draft", "it is a draft")
changed = update_article.sync(
    article.id,
    client=admin,
    body=ArticleWriteRequest(article=ArticleFields(version=article.version, dek="Written by a script.")),
)
check(isinstance(changed, ArticleEnvelope) and changed.article.dek == "Written by a script.", "updated")
stale = update_article.sync_detailed(
    article.id,
    client=admin,
    body=ArticleWriteRequest(article=ArticleFields(version=article.version, dek="Lost update")),
)
check(stale.status_code == 409, f"a stale version is a conflict: {stale.status_code}")
check(
    isinstance(stale.parsed, ErrorBody) and stale.parsed.errors[0].current_version == changed.article.version,
    "the conflict names the current version",
)
published = change_article_status.sync(
    article.id, Step.PUBLISH, client=admin, body=StepRequest(version=changed.article.version)
)
check(isinstance(published, ArticleEnvelope) and published.article.status == "published", "published")
corrected = change_article_status.sync(
    article.id, Step.CORRECT, client=admin, body=StepRequest(text="A word was wrong.")
)
check(isinstance(corrected, ArticleEnvelope) and len(corrected.article.corrections) == 1, "corrected")

# Readers see it; then it is taken down.
seen = find_published_article.sync(article.id, client=content)
check(isinstance(seen, ArticleEnvelope), "the content API has it")
check(seen.article.headlines.display == "Generated clients welcome", "with its headline")
check("<strong>OpenAPI</strong>" in seen.article.html, "and its body as HTML")
found = search_articles.sync(client=content, q="generated clients")
check(any(r.id == article.id for r in found.results), "search finds it")
gone = change_article_status.sync(article.id, Step.UNPUBLISH, client=admin, body=StepRequest())
check(isinstance(gone, ArticleEnvelope) and gone.article.status == "unpublished", "unpublished")
check(
    find_published_article.sync_detailed(article.id, client=content).status_code == 404,
    "gone from the content API",
)

# Errors in the documented shape, with the field named.
bad = create_article.sync_detailed(
    client=admin, body=ArticleWriteRequest(article=ArticleFields(dek="No headline"))
)
check(bad.status_code == 422 and isinstance(bad.parsed, ErrorBody), f"refused: {bad.status_code}")
check(bad.parsed.errors[0].field == "article.headlines", "naming the field")
refused = find_article.sync_detailed(article.id, client=content)
check(refused.status_code == 403, "a content key cannot use the admin API")
print("ok")
