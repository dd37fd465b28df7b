//! The sentence-transformers folder layout (what sentence-transformers 6.2 writes for a stack of
//! encoder, mean pooling and Dense): `SentenceTransformer(dir).encode(texts)` returns webtune's
//! logits, and `transformers.AutoModel.from_pretrained(dir)` loads the encoder. Not labelled
//! `BertForSequenceClassification`: that class pools through [CLS] and the pooler and would
//! load, then silently predict something else. For `transformers` users (and for sentence pairs,
//! which `SentenceTransformer.encode` does not take), the folder also holds
//! [`MODELING`]: `AutoModelForSequenceClassification.from_pretrained(dir, trust_remote_code=True)`
//! loads it (config.json's `auto_map`) and computes webtune's logits, pairs included.

use serde_json::{Value, json};

use crate::data::LabelSet;
use crate::{Error, Result};

pub const MODULES: &str = "modules.json";
pub const CONFIG: &str = "config.json";
pub const ST_CONFIG: &str = "config_sentence_transformers.json";
pub const SBERT_CONFIG: &str = "sentence_bert_config.json";
pub const WEIGHTS: &str = "model.safetensors";
pub const TOKENIZER: &str = "tokenizer.json";
pub const TOKENIZER_CONFIG: &str = "tokenizer_config.json";
pub const POOLING_CONFIG: &str = "1_Pooling/config.json";
pub const DENSE_CONFIG: &str = "2_Dense/config.json";
pub const DENSE_WEIGHTS: &str = "2_Dense/model.safetensors";
/// A `logreg` model's stack: `Normalize` between pooling and the head, which moves to `3_Dense`.
pub const NORMALIZE_CONFIG: &str = "2_Normalize/config.json";
pub const NORMALIZED_DENSE_CONFIG: &str = "3_Dense/config.json";
pub const NORMALIZED_DENSE_WEIGHTS: &str = "3_Dense/model.safetensors";
pub const WEBTUNE: &str = "webtune.json";
/// The `transformers` class of webtune's classifiers (encoder, mean pooling, linear head).
pub const MODELING: &str = "modeling_webtune.py";
/// Its source, written into every exported classifier.
pub const MODELING_SOURCE: &str = include_str!("modeling_webtune.py");
pub const ADAPTER_CONFIG: &str = "adapter/adapter_config.json";
pub const ADAPTER_WEIGHTS: &str = "adapter/adapter_model.safetensors";

fn pretty(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(v).expect("JSON values serialise");
    s.push(b'\n');
    s
}

/// The Dense head's config and weights paths: `2_Dense`, or `3_Dense` behind `2_Normalize`.
pub fn dense_paths(normalize: bool) -> (&'static str, &'static str) {
    if normalize {
        (NORMALIZED_DENSE_CONFIG, NORMALIZED_DENSE_WEIGHTS)
    } else {
        (DENSE_CONFIG, DENSE_WEIGHTS)
    }
}

/// The Dense head's folder: `2_Dense`, or `3_Dense` behind `2_Normalize`.
pub fn dense_dir(normalize: bool) -> &'static str {
    dense_paths(normalize).0.trim_end_matches("/config.json")
}

/// A classifier's stack: Transformer, Pooling, optionally Normalize, Dense.
pub fn modules_json(normalize: bool) -> Vec<u8> {
    let mut modules = embedding_modules(normalize);
    let idx = modules.len();
    modules.push(json!({"idx": idx, "name": idx.to_string(), "path": dense_dir(normalize), "type": "sentence_transformers.base.modules.dense.Dense"}));
    pretty(&Value::Array(modules))
}

/// An embedding model's stack: Transformer, Pooling, optionally Normalize (no head).
pub fn embedding_modules_json(normalize: bool) -> Vec<u8> {
    pretty(&Value::Array(embedding_modules(normalize)))
}

fn embedding_modules(normalize: bool) -> Vec<Value> {
    let mut modules = vec![
        json!({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"}),
        json!({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"}),
    ];
    if normalize {
        modules.push(json!({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}));
    }
    modules
}

/// Whether a `modules.json` ends in `Normalize` after Transformer and Pooling (an embedding
/// model giving unit vectors); `false` for anything else.
pub fn ends_in_normalize(bytes: &[u8]) -> bool {
    let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    entries
        .last()
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with(".Normalize"))
}

/// What the head reads from a model's `modules.json`: whether a `Normalize` comes before it,
/// and the Dense module's folder. The stacks webtune computes are Transformer, Pooling,
/// optionally Normalize, then Dense; anything else is refused by name rather than loaded and
/// computed differently.
pub fn read_modules(bytes: &[u8]) -> Result<(bool, String)> {
    let modules: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Io(format!("{MODULES}: not valid JSON: {e}")))?;
    let entries = modules
        .as_array()
        .ok_or_else(|| Error::Io(format!("{MODULES}: not a JSON list")))?;
    let kinds: Vec<(&str, &str)> = entries
        .iter()
        .map(|m| {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("?");
            let path = m.get("path").and_then(Value::as_str).unwrap_or("");
            (kind.rsplit('.').next().unwrap_or(kind), path)
        })
        .collect();
    let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
    match names.as_slice() {
        ["Transformer", "Pooling", "Dense"] => Ok((false, kinds[2].1.to_string())),
        ["Transformer", "Pooling", "Normalize", "Dense"] => Ok((true, kinds[3].1.to_string())),
        _ => Err(Error::Io(format!(
            "{MODULES}: the model's modules are {}; a webtune classifier is Transformer, Pooling, optionally Normalize, then a Dense head (2_Dense or 3_Dense)",
            names.join(", ")
        ))),
    }
}

pub fn normalize_json() -> Vec<u8> {
    pretty(&json!({
        "module_input_name": "sentence_embedding",
        "module_output_name": "sentence_embedding"
    }))
}

/// The base model's `config.json` with the label maps added (and the architecture pinned to
/// `BertModel`, which is what the encoder is).
/// A classifier's `config.json`: the base model's, with its labels, its `problem_type`, and the
/// `auto_map` that points `AutoModelForSequenceClassification` at [`MODELING`] (`webtune_head`:
/// where the head's weights are, and whether it reads normalised embeddings).
pub fn config_json(
    base_config: &[u8],
    labels: &LabelSet,
    task: crate::data::Task,
    normalize: bool,
) -> Result<Vec<u8>> {
    let mut config: Value = serde_json::from_slice(base_config)
        .map_err(|e| Error::Config(format!("not valid JSON: {e}")))?;
    let obj = config
        .as_object_mut()
        .ok_or_else(|| Error::Config("not a JSON object".into()))?;
    let id2label: serde_json::Map<String, Value> = labels
        .names()
        .iter()
        .enumerate()
        .map(|(i, n)| (i.to_string(), Value::from(n.clone())))
        .collect();
    let label2id: serde_json::Map<String, Value> = labels
        .names()
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), Value::from(i)))
        .collect();
    obj.insert("architectures".into(), json!(["BertModel"]));
    obj.insert("id2label".into(), Value::Object(id2label));
    obj.insert("label2id".into(), Value::Object(label2id));
    obj.insert("problem_type".into(), json!(task.problem_type()));
    obj.insert(
        "auto_map".into(),
        json!({"AutoModelForSequenceClassification": "modeling_webtune.WebtuneBertForSequenceClassification"}),
    );
    obj.insert(
        "webtune_head".into(),
        json!({"dir": dense_dir(normalize), "normalize": normalize}),
    );
    obj.remove("_name_or_path");
    Ok(pretty(&config))
}

pub fn st_config_json() -> Vec<u8> {
    pretty(&json!({
        "__version__": {"sentence_transformers": "6.2.0", "webtune": env!("CARGO_PKG_VERSION")},
        "model_type": "SentenceTransformer",
        "prompts": {"query": "", "document": ""},
        "default_prompt_name": null,
        "similarity_fn_name": "cosine"
    }))
}

pub fn sbert_config_json(max_len: usize) -> Vec<u8> {
    pretty(&json!({
        "max_seq_length": max_len,
        "do_lower_case": false,
        "transformer_task": "feature-extraction",
        "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
        "module_output_name": "token_embeddings"
    }))
}

pub fn tokenizer_config_json(max_len: usize) -> Vec<u8> {
    pretty(&json!({
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": true,
        "model_max_length": max_len,
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"
    }))
}

pub fn pooling_json(hidden: usize) -> Vec<u8> {
    pretty(&json!({"embedding_dimension": hidden, "pooling_mode": "mean", "include_prompt": true}))
}

pub fn dense_json(hidden: usize, classes: usize) -> Vec<u8> {
    pretty(&json!({
        "in_features": hidden,
        "out_features": classes,
        "bias": true,
        "activation_function": "torch.nn.modules.linear.Identity",
        "module_input_name": "sentence_embedding",
        "module_output_name": "sentence_embedding"
    }))
}

pub fn to_json(v: &Value) -> Vec<u8> {
    pretty(v)
}
