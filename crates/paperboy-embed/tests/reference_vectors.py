"""Computes the reference vectors in fixtures/reference.json with the real sentence-transformers.

tests/reference.rs checks that paperboy-embed's MiniLm agrees with them (cosine >= 0.999).
Run it in a throwaway virtual environment, never in the repository:

    python3 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch sentence-transformers
    scripts/fetch-model.sh /tmp/minilm
    /tmp/st-venv/bin/python crates/paperboy-embed/tests/reference_vectors.py /tmp/minilm \
        > crates/paperboy-embed/tests/fixtures/reference.json

MODEL_DIR is the directory MiniLm loads (config.json, tokenizer.json, model.safetensors). When
it also holds sentence-transformers' own files (modules.json, ...) they are used; otherwise the
pipeline of all-MiniLM-L6-v2 is built explicitly: Transformer(max_seq_length=256) -> mean
Pooling -> Normalize.
"""

import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"

import sentence_transformers  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402

DECIMALS = 7

# A typical abstract (about 220 tokens): arXiv 2503.11906.
TYPICAL_ABSTRACT = (
    "Deep learning (DL) has emerged as a powerful tool for Synthetic Aperture\n"
    "Radar (SAR) ship classification. This survey comprehensively analyzes the\n"
    "diverse DL techniques employed in this domain. We identify critical trends and\n"
    "challenges, highlighting the importance of integrating handcrafted features,\n"
    "utilizing public datasets, data augmentation, fine-tuning, explainability\n"
    "techniques, and fostering interdisciplinary collaborations to improve DL model\n"
    "performance. This survey establishes a first-of-its-kind taxonomy for\n"
    "categorizing relevant research based on DL models, handcrafted feature use, SAR\n"
    "attribute utilization, and the impact of fine-tuning. We discuss the\n"
    "methodologies used in SAR ship classification tasks and the impact of different\n"
    "techniques. Finally, the survey explores potential avenues for future research,\n"
    "including addressing data scarcity, exploring novel DL architectures,\n"
    "incorporating interpretability techniques, and establishing standardized\n"
    "performance metrics. By addressing these challenges and leveraging advancements\n"
    "in DL, researchers can contribute to developing more accurate and efficient\n"
    "ship classification systems, ultimately enhancing maritime surveillance and\n"
    "related applications."
)

# An abstract longer than 256 tokens, so the model sees only its beginning: arXiv 2503.11677.
LONG_ABSTRACT = (
    "Objective. Patients implanted with the PRIMA photovoltaic subretinal\n"
    "prosthesis in geographic atrophy report form vision with the average acuity\n"
    "matching the 100um pixel size. Although this remarkable outcome enables them to\n"
    "read and write, they report difficulty with perceiving faces. This paper\n"
    "provides a novel, non-pixelated algorithm for simulating prosthetic vision the\n"
    "way it is experienced by PRIMA patients, compares the algorithm's predictions\n"
    "to clinical perceptual outcomes, and offers computer vision and machine\n"
    "learning (ML) methods to improve face representation. Approach. Our simulation\n"
    "algorithm integrates a grayscale filter, spatial resolution filter, and\n"
    "contrast filter. This accounts for the limited sampling density of the retinal\n"
    "implant, as well as the reduced contrast sensitivity of prosthetic vision.\n"
    "Patterns of Landolt C and faces created using this simulation algorithm are\n"
    "compared to reports from actual PRIMA users. To recover the facial features\n"
    "lost in prosthetic vision, we apply an ML facial landmarking model as well as\n"
    "contrast adjusting tone curves to the face image prior to its projection onto\n"
    "the implant. Main results. Simulated prosthetic vision matches the maximum\n"
    "letter acuity observed in clinical studies as well as patients' subjective\n"
    "descriptions. Application of the inversed contrast filter helps preserve the\n"
    "contrast in prosthetic vision. Identification of the facial features using an\n"
    "ML facial landmarking model and accentuating them further improve face\n"
    "representation. Significance. Spatial and contrast constraints of prosthetic\n"
    "vision limit resolvable features and degrade natural images. ML based methods\n"
    "and contrast adjustments mitigate some limitations and improve face\n"
    "representation. Even though higher spatial resolution can be expected with\n"
    "implants having smaller pixels, contrast enhancement still remains essential\n"
    "for face recognition."
)

TEXTS = [
    ("short query", "graph neural networks for drug discovery"),
    ("typical abstract", TYPICAL_ABSTRACT),
    ("abstract longer than 256 tokens", LONG_ABSTRACT),
    (
        "LaTeX",
        r"We prove that $\mathcal{O}(n \log n)$ samples suffice when "
        r"$\alpha_t = \frac{1}{\sqrt{d}}$ and $\|x\|_2 \leq 1$, improving on "
        r"\cite{smith2020} for $d \gg 1$.",
    ),
    ("Chinese", "基于深度学习的医学图像分割方法研究：我们提出了一种新的注意力机制。"),
    ("emoji", "🚀 New paper! Our model beats the state of the art on ImageNet 🎉🔥👀"),
    ("control characters", "tab\there\x00nul\x07bell\r\nand a form feed\x0c."),
    ("empty", ""),
]


def load_model(model_dir):
    if os.path.exists(os.path.join(model_dir, "modules.json")):
        return SentenceTransformer(model_dir, device="cpu")
    transformer = models.Transformer(model_dir, max_seq_length=256)
    pooling = models.Pooling(transformer.get_embedding_dimension(), "mean")
    return SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model = load_model(sys.argv[1])
    # One text at a time: no padding at all in the reference.
    texts = [text for _, text in TEXTS]
    vectors = [model.encode([text], convert_to_numpy=True)[0] for text in texts]
    tokens = [
        len(model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"])
        for text in texts
    ]
    header = {
        "model": "all-MiniLM-L6-v2",
        "produced_by": (
            f"tests/reference_vectors.py with sentence-transformers "
            f"{sentence_transformers.__version__}, torch {torch.__version__}"
        ),
        "max_seq_length": model.max_seq_length,
    }
    entries = [
        {
            "name": name,
            "text": text,
            "tokens": count,
            "vector": [round(float(x), DECIMALS) for x in vector],
        }
        for (name, text), count, vector in zip(TEXTS, tokens, vectors)
    ]
    # One line per text keeps the fixture small and its diffs readable.
    lines = ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in entries)
    print(json.dumps(header, ensure_ascii=False)[:-1] + ', "texts": [\n' + lines + "\n]}")


if __name__ == "__main__":
    main()
