"""Every kind of Paperboy feed, read by feedparser: well-formed (bozo == 0), absolute links,
stable ids, correct dates. Run by the `clients` integration tests with the server's address.
"""

import sys
import time

import feedparser

base = sys.argv[1]
feeds = [
    "/feeds/daily.rss", "/feeds/daily.atom",
    "/feeds/trending.rss", "/feeds/trending.atom",
    "/feeds/categories/cs.CL.rss", "/feeds/categories/cs.CL.atom",
    "/feeds/search.rss?q=abstract", "/feeds/search.atom?q=abstract",
]
for path in feeds:
    feed = feedparser.parse(base + path)
    assert feed.bozo == 0, (path, feed.get("bozo_exception"))
    assert feed.status == 200, (path, feed.status)
    assert feed.entries, path
    version = feed.version
    assert version in ("rss20", "atom10"), (path, version)
    for entry in feed.entries:
        assert entry.link.startswith(base + "/papers/"), (path, entry.link)
        assert entry.id == entry.link, (path, entry.id)
        assert entry.published_parsed is not None, (path, entry)
        assert entry.title, (path, entry)
    again = feedparser.parse(base + path)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries], path

daily = feedparser.parse(base + "/feeds/daily.rss")
# The paper a reader submitted an hour ago joined the feed last; the rest joined on import.
assert daily.entries[0].id == base + "/papers/2605.00003", daily.entries[0].id
robots = [e for e in daily.entries if e.id.endswith("2605.00006")][0]
assert time.strftime("%Y-%m-%d", robots.published_parsed) == "2026-05-18", robots.published
trending = feedparser.parse(base + "/feeds/trending.atom")
assert [e.id for e in trending.entries] == [base + "/papers/2605.00003"], [e.id for e in trending.entries]
hostile = [e for e in daily.entries if e.id.endswith("2605.00005")][0]
# Markup in a title is the title's text, exactly, never markup for the reader to run.
assert hostile.title == "<script>alert(1)</script> Bounds for $x<y$ and {braces", hostile.title
assert hostile.title_detail.type == "text/plain", hostile.title_detail
atom = feedparser.parse(base + "/feeds/daily.atom")
assert atom.entries[0].authors[0]["name"] == "Ada Lovelace", atom.entries[0].authors

print(f"feedparser: {len(feeds)} feeds parse cleanly")
