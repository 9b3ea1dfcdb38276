"""The real huggingface_hub client keeping collections of papers on a running Paperboy.

    PAPERBOY_MEMBER_TOKEN=... PAPERBOY_ADMIN_TOKEN=... python hf_collections.py BASE_URL

The member (`reader`) makes a private collection, fills, notes, orders and lists it with
`HfApi` exactly as on Hugging Face; the other account (`curator`) neither sees nor changes it.
Exits non-zero, with the reason, when an answer differs from Hugging Face's.
"""

import os
import sys

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

base = sys.argv[1]
reader = HfApi(endpoint=base, token=os.environ["PAPERBOY_MEMBER_TOKEN"])
other = HfApi(endpoint=base, token=os.environ["PAPERBOY_ADMIN_TOKEN"])
anonymous = HfApi(endpoint=base, token=False)


def status_of(call):
    try:
        call()
    except HfHubHTTPError as error:
        assert "error" in error.response.json(), error.response.text
        return error.response.status_code
    raise AssertionError("the call was accepted")


made = reader.create_collection("Graph reading", description="Papers on graphs", private=True)
assert made.slug.startswith("reader/graph-reading-"), made.slug
assert made.owner["name"] == "reader" and made.private and made.items == [], made
assert made.url == f"{base}/collections/{made.slug}", made.url
again = reader.create_collection("Graph reading", exists_ok=True)
assert again.slug == made.slug, again.slug
assert status_of(lambda: reader.create_collection("Graph reading")) == 409

for paper, note in [("2605.00002", "Start here"), ("2605.00001", None), ("2605.00003", None)]:
    collection = reader.add_collection_item(made.slug, paper, "paper", note=note)
assert [item.item_id for item in collection.items] == ["2605.00002", "2605.00001", "2605.00003"]
assert collection.items[0].note == "Start here" and collection.items[1].note is None
assert {item.item_type for item in collection.items} == {"paper"}
again = reader.add_collection_item(made.slug, "2605.00002", "paper", exists_ok=True)
assert len(again.items) == 3, again.items
assert status_of(lambda: reader.add_collection_item(made.slug, "2605.00002", "paper")) == 409
assert status_of(lambda: reader.add_collection_item(made.slug, "2605.99999", "paper")) == 404
assert status_of(lambda: reader.add_collection_item(made.slug, "gpt2", "model")) == 400

last = collection.items[2]
reader.update_collection_item(made.slug, last.item_object_id, note="Read first", position=0)
got = reader.get_collection(made.slug)
assert [item.item_id for item in got.items] == ["2605.00003", "2605.00002", "2605.00001"], got.items
assert [item.position for item in got.items] == [0, 1, 2], got.items
assert got.items[0].note == "Read first" and got.title == "Graph reading", got
assert got.description == "Papers on graphs", got.description
reader.delete_collection_item(made.slug, got.items[1].item_object_id)
reader.delete_collection_item(made.slug, got.items[1].item_object_id, missing_ok=True)
got = reader.get_collection(made.slug)
assert [(item.item_id, item.position) for item in got.items] == [("2605.00003", 0), ("2605.00001", 1)]

# Private: a 404 to anyone else, as if it did not exist; the owner lists it.
for api in (other, anonymous):
    assert status_of(lambda: api.get_collection(made.slug)) == 404
    assert made.slug not in [c.slug for c in api.list_collections(owner="reader")]
assert status_of(lambda: other.add_collection_item(made.slug, "2605.00004", "paper")) == 404
assert status_of(lambda: other.delete_collection(made.slug)) == 404
mine = list(reader.list_collections(owner="reader"))
assert [c.slug for c in mine] == [made.slug], [c.slug for c in mine]
assert len(mine[0].items) == 2, mine[0].items

renamed = reader.update_collection_metadata(made.slug, title="Graphs, public", private=False, theme="green")
assert renamed.title == "Graphs, public" and not renamed.private and renamed.theme == "green", renamed
assert renamed.slug != made.slug and renamed.slug.endswith(made.slug[-24:]), renamed.slug
# The old slug still finds it; others now see it, and are refused changing it.
assert anonymous.get_collection(made.slug).slug == renamed.slug
holding = list(anonymous.list_collections(item="papers/2605.00003"))
assert [c.slug for c in holding] == [renamed.slug], [c.slug for c in holding]
assert status_of(lambda: other.add_collection_item(renamed.slug, "2605.00004", "paper")) == 403
assert status_of(lambda: other.update_collection_metadata(renamed.slug, title="Mine now")) == 403

reader.delete_collection(renamed.slug)
reader.delete_collection(renamed.slug, missing_ok=True)
assert status_of(lambda: reader.get_collection(renamed.slug)) == 404
print("huggingface_hub: collections were made, filled, ordered, shared and deleted as on Hugging Face")
