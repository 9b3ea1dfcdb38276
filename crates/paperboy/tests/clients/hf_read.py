"""Hugging Face's client and CLI read papers as Markdown from a running Paperboy:
`HfApi(endpoint=...).read_paper` and `hf papers read` with `HF_ENDPOINT`.

Run by the `clients` integration tests with the server's address, after `paperboy fulltext`
kept the recorded arXiv page as the full text of 2605.00002. Exits non-zero, with the reason,
when an answer differs from what Hugging Face would give.
"""

import os
import subprocess
import sys

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

base = sys.argv[1]
api = HfApi(endpoint=base, token=False)

full = api.read_paper("2605.00002")
assert full.startswith("# Tell me about yourself: LLMs are aware of their learned behaviors\n"), full[:200]
for part in ["\n## 1 Introduction\n", "latent policy $z\\in Z$", "\n## References\n"]:
    assert part in full, part

# A paper without full text reads as its page: title, authors, abstract.
abstract = api.read_paper("2605.00001")
assert abstract.startswith("# Sparse attention\n\nAda Lovelace, Alan Turing\n\n## Abstract\n"), abstract
assert "no full text of this paper yet" in abstract, abstract

try:
    api.read_paper("2605.99999")
except HfHubHTTPError as error:
    assert error.response.status_code == 404, error.response.status_code
else:
    raise AssertionError("an unknown paper was read")

hf = os.path.join(os.path.dirname(sys.executable), "hf")
env = dict(os.environ, HF_ENDPOINT=base, HF_HUB_DISABLE_TELEMETRY="1", NO_COLOR="1")
read = subprocess.run([hf, "papers", "read", "2605.00002"], env=env, capture_output=True, text=True, timeout=60)
assert read.returncode == 0, read.stderr
assert read.stdout.strip() == full.strip(), read.stdout[:300]
missing = subprocess.run([hf, "papers", "read", "2605.99999"], env=env, capture_output=True, text=True, timeout=60)
assert missing.returncode != 0 and "not found" in (missing.stdout + missing.stderr), missing

print("huggingface_hub and hf papers read: full text and abstract as Markdown")
