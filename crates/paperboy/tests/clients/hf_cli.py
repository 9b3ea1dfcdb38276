"""Hugging Face's command line, `hf papers`, against a running Paperboy with `HF_ENDPOINT`:
`ls` (a day, a week, a month, trending, a submitter), `info`, `search` and `read`, as the human
tables a person reads (every column filled, upvotes too when a paper has none) and as JSON.

Run by the `clients` integration tests with the server's address; the server holds the site
tests' sample papers, 2605.00003 submitted by `reader` and upvoted four times. Exits non-zero,
with the reason, when an answer differs from what Hugging Face would give.

    python hf_cli.py BASE_URL
"""

import json
import os
import re
import subprocess
import sys

base = sys.argv[1]
hf = os.path.join(os.path.dirname(sys.executable), "hf")
env = dict(os.environ, HF_ENDPOINT=base, HF_HUB_DISABLE_TELEMETRY="1", NO_COLOR="1", COLUMNS="250")


def papers(*args, ok=True):
    done = subprocess.run([hf, "papers", *args], env=env, capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def table(*args):
    """The rows of a human table, each a dict by column name; the columns as listed."""
    lines = [line for line in papers(*args, "--format", "human", "--no-truncate").stdout.splitlines() if line.strip()]
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) <= {"-", " "} and "-" in line)
    starts = [m.start() for m in re.finditer(r"-+", lines[rule])]
    ends = starts[1:] + [None]
    cells = lambda line: [line[a:b].strip() for a, b in zip(starts, ends)]
    columns = cells(lines[rule - 1])
    rows = [dict(zip(columns, cells(line))) for line in lines[rule + 1:] if not line.startswith("Hint")]
    return columns, rows


def ids(rows):
    return [row["ID"] for row in rows]


LIST_COLUMNS = ["ID", "TITLE", "UPVOTES", "COMMENTS", "PUBLISHED_AT", "SUBMITTED_BY_NAME"]

columns, day = table("ls", "--date", "2026-05-11")
assert columns == LIST_COLUMNS, columns
assert sorted(ids(day)) == ["2605.00001", "2605.00002", "2605.00003"], day
for row in day:
    assert all(row[column] for column in LIST_COLUMNS[:5]), f"an empty column: {row}"
submitted = next(row for row in day if row["ID"] == "2605.00003")
assert (submitted["UPVOTES"], submitted["SUBMITTED_BY_NAME"]) == ("4", "reader"), submitted
assert next(row for row in day if row["ID"] == "2605.00001")["UPVOTES"] == "0", day
assert submitted["TITLE"] == "Diffusion models" and submitted["PUBLISHED_AT"] == "2026-05-11", submitted

_, week = table("ls", "--week", "2026-W20")
assert sorted(ids(week)) == ["2605.00001", "2605.00002", "2605.00003", "2605.00004", "2605.00005"], week
_, month = table("ls", "--month", "2026-05")
assert len(month) == 6, month
_, trending = table("ls", "--sort", "trending", "--limit", "1")
assert ids(trending) == ["2605.00003"], trending
_, mine = table("ls", "--submitter", "reader")
assert ids(mine) == ["2605.00003"], mine
listed = json.loads(papers("ls", "--date", "2026-05-11", "--format", "json").stdout)
assert all(isinstance(item.get("upvotes"), int) for item in listed), listed

info = json.loads(papers("info", "2605.00006", "--format", "json").stdout)
assert (info["id"], info["title"], info["upvotes"]) == ("2605.00006", "Robots that grasp", 0), info
assert info["github_repo"] == "https://github.com/example/grasp", info
assert [author["name"] for author in info["authors"]] == ["Ada Lovelace", "Alan Turing"], info
unknown = papers("info", "2605.99999", ok=False)
assert unknown.returncode != 0 and "not found" in unknown.stdout + unknown.stderr, unknown

columns, found = table("search", "diffusion")
assert columns == ["ID", "TITLE", "SUMMARY", "UPVOTES", "PUBLISHED_AT"], columns
assert found[0]["ID"] == "2605.00003" and found[0]["UPVOTES"] == "4", found
assert all(row["UPVOTES"] for row in found), f"an empty upvotes column: {found}"
searched = json.loads(papers("search", "attention", "--format", "json").stdout)
assert searched and all(isinstance(item.get("upvotes"), int) for item in searched), searched

read = papers("read", "2605.00004").stdout
assert read.startswith("# Language agents\n\nAda Lovelace, Alan Turing\n\n## Abstract\n"), read

print(f"hf papers: ls ({len(day)}, {len(week)}, {len(month)}), info, search ({len(found)}) and read")
