#!/usr/bin/env python3
"""The feeds as independent tools read them, against a running `tubefeed serve`.

Usage: check_feeds.py BASE_URL PYJING

For each topic and a set of views (none, a search word, a channel, oldest first, a small
page): /feed.atom parses with feedparser without error, validates with jing against the RFC
4287 RELAX NG schema (tests/feeds/atom.rnc) plus the two rules jing skips, and lists the same
videos, titles and links as /videos with the same parameters; /feed.json parses with
jsonfeed-util as JSON Feed 1.1 and says the same; a matching ETag answers 304; next links walk
the same pages as the list. Titles in Arabic, Devanagari, Japanese and markup-looking text
must all have been compared, or the run proves nothing about them.
"""

import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import feedparser
import jsonfeed

BASE, PYJING = sys.argv[1], sys.argv[2]
RNC = Path(__file__).with_name("atom.rnc")
ATOM_NS = "{http://www.w3.org/2005/Atom}"
KNOWN_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "author", "tags", "language",
    "attachments",
}
failures = []
seen_titles = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}", file=sys.stderr)


def get(path, etag=None):
    url = path if path.startswith("http") else BASE + path
    req = urllib.request.Request(url)
    if etag:
        req.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def list_page(query):
    limit = "" if "limit=" in query else "limit=50&"
    status, _, body = get(f"/videos?{limit}{query}")
    assert status == 200, (query, status, body[:300])
    return json.loads(body)


def validate_atom(body, view):
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(body)
        f.flush()
        r = subprocess.run([PYJING, "-c", str(RNC), f.name], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{view}: RELAX NG: {(r.stdout + r.stderr).strip()[:800]}")
    # The schema's two Schematron rules, which jing does not run.
    import xml.etree.ElementTree as ET

    root = ET.fromstring(body)
    for entry in root.iter(f"{ATOM_NS}entry"):
        links = entry.findall(f"{ATOM_NS}link")
        if not any(l.get("rel", "alternate") == "alternate" for l in links):
            fail(f"{view}: an entry without an alternate link")
        if entry.find(f"{ATOM_NS}author") is None and root.find(f"{ATOM_NS}author") is None:
            fail(f"{view}: an entry without an author")


def same_entries(view, kind, entries, items):
    want = [("yt:video:" + v["id"], v["title"], v["url"], v["channel_title"]) for v in items]
    got = [(e.get("id"), e.get("title"), e.get("link"), e.get("author")) for e in entries]
    if got != want:
        diff = next((g, w) for g, w in zip(got + [None] * 99, want + [None] * 99) if g != w)
        fail(f"{view} {kind}: {len(got)} entries vs {len(want)} in /videos; first difference {diff}")


def check_view(query):
    view = query or "(no parameters)"
    items = list_page(query)["items"]
    seen_titles.extend(v["title"] for v in items)
    status, headers, body = get(f"/feed.atom?{query}")
    if status != 200 or not headers["Content-Type"].startswith("application/atom+xml"):
        fail(f"{view} atom: {status} {headers['Content-Type']}")
        return
    parsed = feedparser.parse(body)
    if parsed.bozo or parsed.version != "atom10":
        fail(f"{view} atom: feedparser: {parsed.version} {parsed.get('bozo_exception')}")
    validate_atom(body, view)
    same_entries(view, "atom", parsed.entries, items)
    for e, v in zip(parsed.entries, items):
        thumbs = e.get("media_thumbnail") or []
        if v["thumbnails"] and not any(t.get("url") for t in thumbs):
            fail(f"{view} atom: {v['id']} without media:thumbnail")
        if e.get("yt_videoid") != v["id"]:
            fail(f"{view} atom: {v['id']} yt:videoId is {e.get('yt_videoid')}")
    etag = headers["ETag"]
    status, _, again = get(f"/feed.atom?{query}", etag=etag)
    if status != 304 or again:
        fail(f"{view} atom: If-None-Match {etag} answered {status}")

    status, headers, body = get(f"/feed.json?{query}")
    if status != 200 or not headers["Content-Type"].startswith("application/feed+json"):
        fail(f"{view} json: {status} {headers['Content-Type']}")
        return
    entries = json_feed_entries(body, view)
    same_entries(view, "json", entries, items)
    status, _, _ = get(f"/feed.json?{query}", etag=headers["ETag"])
    if status != 304:
        fail(f"{view} json: If-None-Match answered {status}")


def json_feed_entries(body, view):
    """The items as jsonfeed-util parses them (feedparser 6, the newest on PyPI, reads no JSON
    Feed), after the JSON Feed 1.1 rules a reader relies on."""
    raw = json.loads(body)
    try:
        feed = jsonfeed.Feed.parse(raw)
    except jsonfeed.ParseError as e:
        fail(f"{view} json: jsonfeed-util: {e!r}")
        return []
    if raw.get("version") != "https://jsonfeed.org/version/1.1":
        fail(f"{view} json: version {raw.get('version')}")
    for item in raw.get("items", []):
        if not isinstance(item.get("id"), str) or not ("content_text" in item or "content_html" in item):
            fail(f"{view} json: item without a string id or content: {item.get('id')}")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", item.get("date_published", "")):
            fail(f"{view} json: date_published {item.get('date_published')!r} is not RFC 3339")
        if any(k not in KNOWN_ITEM_KEYS and not k.startswith("_") for k in item):
            fail(f"{view} json: unknown item keys {sorted(item)} (extensions start with _)")
    return [
        {
            "id": i.id,
            "title": i.title,
            "link": i.url,
            "author": (i.authors or [jsonfeed.Author(name=None)])[0].name,
        }
        for i in feed.items
    ]


def walk(path, query):
    """Every entry id of a feed followed through its next links."""
    ids, url = [], f"{path}?{query}"
    for _ in range(100):
        status, _, body = get(url)
        assert status == 200, (url, status)
        if path.endswith("json"):
            feed = jsonfeed.Feed.parse(json.loads(body))
            ids += [i.id.removeprefix("yt:video:") for i in feed.items]
            url = feed.next_url
        else:
            parsed = feedparser.parse(body)
            ids += [e.id.removeprefix("yt:video:") for e in parsed.entries]
            url = next((l.href for l in parsed.feed.get("links", []) if l.rel == "next"), None)
        if not url:
            return ids
    raise AssertionError(f"{path}: more than 100 pages")


def list_walk(query):
    ids, token = [], None
    while True:
        page = list_page(query + (f"&page_token={urllib.parse.quote(token)}" if token else ""))
        ids += [v["id"] for v in page["items"]]
        token = page.get("next_page_token")
        if not token:
            return ids


def main():
    spec = json.loads(get("/openapi.json")[2])
    topics = next(
        p["schema"]["enum"]
        for p in spec["paths"]["/videos"]["get"]["parameters"]
        if p["name"] == "topic"
    )
    for topic in topics:
        first = list_page(f"topic={topic}")["items"]
        assert first, f"topic {topic} has no videos: import the fixture first"
        word = re.findall(r"\w{4,}", first[0]["title"])[0]
        views = [
            f"topic={topic}",
            f"topic={topic}&q={urllib.parse.quote(word)}",
            f"topic={topic}&channel_id={first[0]['channel_id']}",
            f"topic={topic}&order=asc",
            f"topic={topic}&limit=7",
        ]
        for query in views:
            check_view(query)
        for path in ["/feed.atom", "/feed.json"]:
            want = list_walk(f"topic={topic}&limit=40")
            got = walk(path, f"topic={topic}&limit=40")
            if got != want:
                fail(f"{path} topic={topic}: next links walked {len(got)} videos, the list {len(want)}")
    scripts = {
        "Arabic": r"[\u0600-\u06ff]",
        "Devanagari": r"[\u0900-\u097f]",
        "Japanese": r"[\u3040-\u30ff]",
        "markup-looking": r"[<&]",
    }
    for name, pattern in scripts.items():
        if not any(re.search(pattern, t) for t in seen_titles):
            fail(f"no {name} title was compared: the fixture no longer holds one")
    if failures:
        sys.exit(f"{len(failures)} feed check(s) failed")
    print(f"feeds: {len(seen_titles)} entries compared in {len(topics)} topics, all valid")


main()
