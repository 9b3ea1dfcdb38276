//! Sentence embeddings for papers: the Embedder trait, all-MiniLM-L6-v2 on candle, and a deterministic test embedder.
