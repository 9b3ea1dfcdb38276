//! Approximate nearest-neighbour index over paper embeddings.
