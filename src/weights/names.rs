//! Hugging Face tensor names for a BERT encoder, in one place: the loader reads these names and
//! the exporter writes them, so a round trip cannot drift.

/// Names of one Linear layer's tensors under `prefix`.
pub fn linear(prefix: &str) -> (String, String) {
    (format!("{prefix}.weight"), format!("{prefix}.bias"))
}

/// Embedding table names.
pub const WORD_EMBEDDINGS: &str = "embeddings.word_embeddings.weight";
pub const POSITION_EMBEDDINGS: &str = "embeddings.position_embeddings.weight";
pub const TOKEN_TYPE_EMBEDDINGS: &str = "embeddings.token_type_embeddings.weight";
pub const EMBEDDINGS_NORM: &str = "embeddings.LayerNorm";

/// Prefix of encoder layer `i`.
pub fn layer(i: usize) -> String {
    format!("encoder.layer.{i}")
}

/// Sub-module paths inside a layer, relative to [`layer`].
pub const QUERY: &str = "attention.self.query";
pub const KEY: &str = "attention.self.key";
pub const VALUE: &str = "attention.self.value";
pub const ATTENTION_OUTPUT: &str = "attention.output.dense";
pub const ATTENTION_NORM: &str = "attention.output.LayerNorm";
pub const INTERMEDIATE: &str = "intermediate.dense";
pub const OUTPUT: &str = "output.dense";
pub const OUTPUT_NORM: &str = "output.LayerNorm";

/// Prefix used by `BertFor*` checkpoints (bert-base-uncased ships the encoder under `bert.`).
pub const BERT_PREFIX: &str = "bert.";

/// Tensors a BERT checkpoint may carry that an encoder + mean pooling does not use: the position
/// id buffer, the CLS pooler, and the pre-training / classification heads of `BertFor*` models.
/// They are skipped and reported, never silently mixed in.
pub fn is_known_unused(name: &str) -> bool {
    let name = name.strip_prefix(BERT_PREFIX).unwrap_or(name);
    name == "embeddings.position_ids"
        || name.starts_with("pooler.")
        || name.starts_with("cls.")
        || name.starts_with("classifier.")
}

/// The CLS pooler of `BertModel` checkpoints (unused by mean pooling, kept for export).
pub const POOLER: [&str; 2] = ["pooler.dense.weight", "pooler.dense.bias"];

/// The Dense head inside the sentence-transformers `2_Dense/model.safetensors`.
pub const DENSE_HEAD: &str = "linear";
