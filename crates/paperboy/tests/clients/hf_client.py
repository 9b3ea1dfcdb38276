"""The real huggingface_hub client against a running Paperboy: `HfApi(endpoint=...)`.

Run by the `clients` integration tests with the server's address; exits non-zero, with the
reason, when any answer differs from what Hugging Face's API would give for the test data.
"""

import sys
from datetime import datetime, timedelta, timezone

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

base = sys.argv[1]
api = HfApi(endpoint=base, token=False)


def ids(papers):
    return [paper.id for paper in papers]


day = list(api.list_daily_papers(date="2026-05-11"))
assert ids(day) == ["2605.00003", "2605.00001", "2605.00002"], ids(day)
first = day[0]
assert first.title == "Diffusion models", first.title
assert first.summary.startswith("An abstract about Diffusion models"), first.summary
assert [a.name for a in first.authors] == ["Ada Lovelace", "Alan Turing"], first.authors
assert first.upvotes == 4, first.upvotes
assert first.comments == 0, first.comments
# A reader submitted it an hour ago, on its own day's feed.
assert datetime.now(timezone.utc) - first.submitted_at < timedelta(days=1), first.submitted_at
assert first.published_at == datetime(2026, 5, 11, tzinfo=timezone.utc), first.published_at
assert first.submitted_by is not None and first.submitted_by.username == "reader", first.submitted_by

week = list(api.list_daily_papers(week="2026-W20"))
assert len(week) == 5, ids(week)
month = list(api.list_daily_papers(month="2026-05", sort="trending"))
assert len(month) == 6 and month[0].id == "2605.00003", ids(month)
newest = list(api.list_daily_papers(sort="publishedAt", limit=2))
# The reader's submission of an hour ago joined the feed last.
assert ids(newest) == ["2605.00003", "2605.00006"], ids(newest)
second_page = list(api.list_daily_papers(sort="publishedAt", limit=2, p=1))
assert ids(second_page) == ["2605.00005", "2605.00004"], ids(second_page)
assert list(api.list_daily_papers(date="2026-05-16")) == []

info = api.paper_info("2605.00002")
assert info.id == "2605.00002" and info.title == "Graph networks", info
assert info.linked_models == [] and info.num_total_models == 0, info
assert info.submitted_at == datetime(2026, 5, 11, tzinfo=timezone.utc), info.submitted_at
assert info.categories == ["cs.CL", "cs.LG"], info.categories
# The automatic TL;DR and keywords, in Hugging Face's fields.
assert info.ai_summary == "An abstract about Graph networks, with energy $E = mc^2$ in it.", info.ai_summary
assert "graph networks" in info.ai_keywords and len(info.ai_keywords) <= 5, info.ai_keywords
assert first.ai_summary and first.ai_keywords, first
linked = api.paper_info("2605.00006")
assert linked.github_repo == "https://github.com/example/grasp", linked.github_repo
assert linked.project_page == "https://grasp.example.org/", linked.project_page

found = list(api.list_papers(query="graph"))
assert found and found[0].id == "2605.00002", ids(found)
assert found[0].title == "Graph networks"
assert len(list(api.list_papers(query="abstract", limit=2))) == 2

# The reader submitted 2605.00003 and upvoted it, as three others did.
reader = api.get_user_overview("reader")
assert reader.username == "reader" and reader.fullname == "reader", reader
assert reader.avatar_url.startswith(base), reader.avatar_url
assert reader.num_likes == 1 and reader.num_papers == 0 and reader.num_followers == 0, reader
try:
    api.get_user_overview("nobody-here")
except HfHubHTTPError as error:
    assert error.response.status_code == 404, error.response.status_code
else:
    raise AssertionError("an unknown member was found")

for bad in [dict(date="2025-02-30"), dict(week="2025-W54"), dict(limit=101), dict(sort="popular")]:
    try:
        list(api.list_daily_papers(**bad))
    except HfHubHTTPError as error:
        assert error.response.status_code == 400, (bad, error.response.status_code)
        assert "error" in error.response.json(), error.response.text
    else:
        raise AssertionError(f"{bad} was accepted")
try:
    api.paper_info("2605.99999")
except HfHubHTTPError as error:
    assert error.response.status_code == 404, error.response.status_code
else:
    raise AssertionError("an unknown paper was found")

print("huggingface_hub: every call answered as on Hugging Face")
