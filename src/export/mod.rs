//! Export and import of fine-tuned models in the sentence-transformers layout: a folder natively,
//! a zip in the browser. Python loads it and computes exactly what webtune computes; webtune
//! loads it back to predict or to continue training.

pub mod archive;
pub mod layout;
pub mod tensors;

use std::collections::BTreeMap;

use burn::prelude::*;
use serde_json::{Value, json};

use crate::classifier::Classifier;
use crate::data::{LabelSet, Task};
use crate::engine::{Engine, ModelFiles, read_f32};
use crate::model::Head;
use crate::weights::{load_dense_head, names};
use crate::{Error, Result};
use tensors::{HostTensors, encoder_tensors, to_safetensors};

/// One file of an exported model, by its path inside the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What else goes into `webtune.json`: how the model was made.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// Free-form JSON: strategy, training settings, validation metrics, base model.
    pub training: Option<Value>,
    /// Also write the LoRA adapters on their own (PEFT layout) under `adapter/`.
    pub adapter: bool,
}

/// Builds every file of the exported model. Tensors are read back asynchronously, so this runs
/// in a browser too. LoRA weights are exported merged (`W + scale·A·B`).
pub async fn export(c: &Classifier, meta: &ExportMeta) -> Result<Vec<ExportFile>> {
    let hidden = c.engine.config.hidden_size;
    let k = c.outputs();
    let max_len = c.engine.tokenizer.max_len();
    let normalize = c.head.normalize;
    let (dense_config, dense_weights) = layout::dense_paths(normalize);
    let mut files = vec![
        ExportFile {
            path: layout::MODULES.into(),
            bytes: layout::modules_json(normalize),
        },
        ExportFile {
            path: layout::CONFIG.into(),
            bytes: layout::config_json(&c.engine.config_json, &c.labels, c.task, normalize)?,
        },
        ExportFile {
            path: layout::MODELING.into(),
            bytes: layout::MODELING_SOURCE.as_bytes().to_vec(),
        },
    ];
    files.extend(encoder_files(&c.engine, normalize).await?);
    let mut add = |path: &str, bytes: Vec<u8>| {
        files.push(ExportFile {
            path: path.to_string(),
            bytes,
        })
    };
    add(dense_config, layout::dense_json(hidden, k));
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("format".to_string(), "pt".to_string());
    let mut head = HostTensors::new();
    tensors::linear(&mut head, names::DENSE_HEAD, &c.head.linear).await?;
    add(
        dense_weights,
        to_safetensors(&head, Some(metadata.clone()))?,
    );

    let adapters = lora_adapters(&c.engine).await?;
    if meta.adapter && !adapters.0.is_empty() {
        add(
            layout::ADAPTER_WEIGHTS,
            to_safetensors(&adapters.0, Some(metadata))?,
        );
        add(layout::ADAPTER_CONFIG, layout::to_json(&adapters.1));
    }
    add(
        layout::WEBTUNE,
        layout::to_json(&json!({
            "webtune_version": env!("CARGO_PKG_VERSION"),
            "labels": c.labels.names(),
            "task": c.task,
            "thresholds": c.thresholds,
            "text_pair": c.pairs,
            "max_seq_length": max_len,
            "lora_merged": !adapters.0.is_empty(),
            "training": meta.training.clone().unwrap_or(Value::Null),
        })),
    );
    Ok(files)
}

/// The files of the Transformer, Pooling and (with `normalize`) Normalize modules: what a
/// classifier and an embedding model share.
async fn encoder_files(engine: &Engine, normalize: bool) -> Result<Vec<ExportFile>> {
    let hidden = engine.config.hidden_size;
    let max_len = engine.tokenizer.max_len();
    let mut files = Vec::new();
    let mut add = |path: &str, bytes: Vec<u8>| {
        files.push(ExportFile {
            path: path.to_string(),
            bytes,
        })
    };
    add(layout::ST_CONFIG, layout::st_config_json());
    add(layout::SBERT_CONFIG, layout::sbert_config_json(max_len));
    add(layout::TOKENIZER, engine.tokenizer_json.clone());
    add(
        layout::TOKENIZER_CONFIG,
        layout::tokenizer_config_json(max_len),
    );
    add(layout::POOLING_CONFIG, layout::pooling_json(hidden));
    if normalize {
        add(layout::NORMALIZE_CONFIG, layout::normalize_json());
    }
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("format".to_string(), "pt".to_string());
    let mut encoder = encoder_tensors(&engine.encoder).await?;
    for (name, shape, values) in &engine.report.pooler {
        encoder.insert(name.clone(), (shape.clone(), values.clone()));
    }
    add(layout::WEIGHTS, to_safetensors(&encoder, Some(metadata))?);
    Ok(files)
}

/// Builds every file of an exported sentence-embedding model: the encoder, mean pooling and,
/// with `normalize`, sentence-transformers' `Normalize` — no head, so
/// `SentenceTransformer(dir).encode` gives the embeddings webtune computes. The base model's
/// `config.json` goes out unchanged (an embedding model has no labels).
pub async fn export_embedding(
    engine: &Engine,
    normalize: bool,
    meta: &ExportMeta,
) -> Result<Vec<ExportFile>> {
    let mut files = vec![
        ExportFile {
            path: layout::MODULES.into(),
            bytes: layout::embedding_modules_json(normalize),
        },
        ExportFile {
            path: layout::CONFIG.into(),
            bytes: engine.config_json.clone(),
        },
    ];
    files.extend(encoder_files(engine, normalize).await?);
    let adapters = lora_adapters(engine).await?;
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("format".to_string(), "pt".to_string());
    if meta.adapter && !adapters.0.is_empty() {
        files.push(ExportFile {
            path: layout::ADAPTER_WEIGHTS.into(),
            bytes: to_safetensors(&adapters.0, Some(metadata))?,
        });
        files.push(ExportFile {
            path: layout::ADAPTER_CONFIG.into(),
            bytes: layout::to_json(&adapters.1),
        });
    }
    files.push(ExportFile {
        path: layout::WEBTUNE.into(),
        bytes: layout::to_json(&json!({
            "webtune_version": env!("CARGO_PKG_VERSION"),
            "kind": "embedding",
            "normalize": normalize,
            "max_seq_length": engine.tokenizer.max_len(),
            "lora_merged": !adapters.0.is_empty(),
            "training": meta.training.clone().unwrap_or(Value::Null),
        })),
    });
    Ok(files)
}

/// The LoRA factors in PEFT's layout (`lora_A` `[r, in]`, `lora_B` `[out, r]`) and its
/// `adapter_config.json`; empty when the model has no adapters.
async fn lora_adapters(engine: &Engine) -> Result<(HostTensors, Value)> {
    let mut out = HostTensors::new();
    let mut targets: Vec<&str> = Vec::new();
    let mut layers: Vec<usize> = Vec::new();
    let mut rank_alpha = (0usize, 0.0f64);
    for (i, layer) in engine.encoder.layers.iter().enumerate() {
        let p = names::layer(i);
        for (path, linear) in tensors::layer_linears(layer) {
            // PEFT matches modules by the end of their path: "query", "intermediate.dense".
            let target = path.strip_prefix("attention.self.").unwrap_or(path);
            let Some(adapter) = linear.weight.adapter() else {
                continue;
            };
            let a = adapter.a.val();
            let b = adapter.b.val();
            let [d_in, r] = a.dims();
            let [_, d_out] = b.dims();
            let name = format!("base_model.model.{p}.{path}");
            let a_v = read_f32(a).await?;
            let b_v = read_f32(b).await?;
            out.insert(
                format!("{name}.lora_A.weight"),
                (
                    vec![r, d_in],
                    crate::weights::reader::transpose(&a_v, d_in, r),
                ),
            );
            out.insert(
                format!("{name}.lora_B.weight"),
                (
                    vec![d_out, r],
                    crate::weights::reader::transpose(&b_v, r, d_out),
                ),
            );
            if !targets.contains(&target) {
                targets.push(target);
            }
            if !layers.contains(&i) {
                layers.push(i);
            }
            rank_alpha = (r, adapter.scale * r as f64);
        }
    }
    let config = json!({
        "peft_type": "LORA",
        "task_type": "FEATURE_EXTRACTION",
        "r": rank_alpha.0,
        "lora_alpha": rank_alpha.1,
        "lora_dropout": 0.0,
        "bias": "none",
        "target_modules": targets,
        "layers_to_transform": layers,
        "fan_in_fan_out": false,
        "base_model_name_or_path": null
    });
    Ok((out, config))
}

/// Writes the files under `dir` (created if needed).
#[cfg(not(target_arch = "wasm32"))]
pub fn write_dir(files: &[ExportFile], dir: &std::path::Path) -> Result<()> {
    for f in files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Io(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.bytes)
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

/// Reads an exported model's files from a folder.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_dir(dir: &std::path::Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for path in [
        layout::MODULES,
        layout::CONFIG,
        layout::SBERT_CONFIG,
        layout::TOKENIZER,
        layout::WEIGHTS,
        layout::POOLING_CONFIG,
        layout::DENSE_CONFIG,
        layout::DENSE_WEIGHTS,
        layout::NORMALIZE_CONFIG,
        layout::NORMALIZED_DENSE_CONFIG,
        layout::NORMALIZED_DENSE_WEIGHTS,
        layout::WEBTUNE,
    ] {
        let full = dir.join(path);
        if full.exists() {
            let bytes =
                std::fs::read(&full).map_err(|e| Error::Io(format!("{}: {e}", full.display())))?;
            files.insert(path.to_string(), bytes);
        }
    }
    if files.is_empty() {
        return Err(Error::Io(format!(
            "{}: no model files found (expected config.json, model.safetensors, ...)",
            dir.display()
        )));
    }
    Ok(files)
}

fn required<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Result<&'a Vec<u8>> {
    files.get(path).ok_or_else(|| {
        Error::Io(format!(
            "{path} is missing: a webtune model is a sentence-transformers folder with an encoder, mean pooling and a Dense head"
        ))
    })
}

fn json_of(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Result<Option<Value>> {
    files
        .get(path)
        .map(|b| {
            serde_json::from_slice(b).map_err(|e| Error::Io(format!("{path}: not valid JSON: {e}")))
        })
        .transpose()
}

/// Loads an exported model (folder files or unzipped archive) onto `device`.
pub fn import(files: &BTreeMap<String, Vec<u8>>, device: &Device) -> Result<Classifier> {
    if let Some(pooling) = json_of(files, layout::POOLING_CONFIG)? {
        let mean = pooling.get("pooling_mode").and_then(Value::as_str) == Some("mean")
            || pooling
                .get("pooling_mode_mean_tokens")
                .and_then(Value::as_bool)
                == Some(true);
        if !mean {
            return Err(Error::Io(format!(
                "{}: only mean pooling is supported",
                layout::POOLING_CONFIG
            )));
        }
    }
    // Without modules.json (a hand-assembled folder), the plain stack is assumed.
    let (normalize, dense_dir) = match files.get(layout::MODULES) {
        Some(bytes) => layout::read_modules(bytes)?,
        None => (false, layout::dense_dir(false).to_string()),
    };
    let dense_config = format!("{dense_dir}/config.json");
    let dense_weights = format!("{dense_dir}/model.safetensors");
    if let Some(dense) = json_of(files, &dense_config)? {
        let act = dense
            .get("activation_function")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !act.ends_with("Identity") {
            return Err(Error::Io(format!(
                "{dense_config}: the Dense head's activation is {act}; webtune heads are linear (Identity)"
            )));
        }
    }
    let config_bytes = required(files, layout::CONFIG)?;
    let config: Value = serde_json::from_slice(config_bytes)
        .map_err(|e| Error::Config(format!("not valid JSON: {e}")))?;
    let max_len = json_of(files, layout::SBERT_CONFIG)?
        .and_then(|v| v.get("max_seq_length").and_then(Value::as_u64))
        .unwrap_or(crate::tokenize::DEFAULT_MAX_LEN as u64) as usize;
    let base = ModelFiles {
        config: config_bytes.clone(),
        tokenizer: required(files, layout::TOKENIZER)?.clone(),
        weights: required(files, layout::WEIGHTS)?.clone(),
    };
    let engine = Engine::load(&base, device, max_len)?;
    let labels = labels_of(&config)?;
    let problem_type = config.get("problem_type").and_then(Value::as_str);
    let task = Task::from_problem_type(problem_type).ok_or_else(|| {
        Error::Config(format!(
            "problem_type \"{}\" is not one webtune trains (single_label_classification, multi_label_classification, regression)",
            problem_type.unwrap_or_default()
        ))
    })?;
    let outputs = if task == Task::Regression {
        1
    } else {
        labels.len()
    };
    let head = load_dense_head(
        required(files, &dense_weights)?,
        &dense_weights,
        engine.config.hidden_size,
        outputs,
        device,
    )?;
    let webtune = json_of(files, layout::WEBTUNE)?;
    let thresholds: Option<Vec<f32>> = webtune
        .as_ref()
        .and_then(|w| w.get("thresholds"))
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .filter(|t: &Vec<f32>| task == Task::Multi && t.len() == outputs);
    let pairs = webtune
        .as_ref()
        .and_then(|w| w.get("text_pair"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Classifier {
        engine,
        head: Head::new(head, normalize),
        labels,
        task,
        thresholds,
        pairs,
    })
}

/// Loads an exported sentence-embedding model (Transformer, Pooling, optionally Normalize; no
/// head) onto `device`: the engine, and whether its embeddings are normalised.
pub fn import_embedding(
    files: &BTreeMap<String, Vec<u8>>,
    device: &Device,
) -> Result<(Engine, bool)> {
    let normalize = files
        .get(layout::MODULES)
        .is_some_and(|m| layout::ends_in_normalize(m));
    if files.contains_key(layout::DENSE_WEIGHTS)
        || files.contains_key(layout::NORMALIZED_DENSE_WEIGHTS)
    {
        return Err(Error::Io(
            "this is a classifier (it has a Dense head), not an embedding model".into(),
        ));
    }
    let max_len = json_of(files, layout::SBERT_CONFIG)?
        .and_then(|v| v.get("max_seq_length").and_then(Value::as_u64))
        .unwrap_or(crate::tokenize::DEFAULT_MAX_LEN as u64) as usize;
    let base = ModelFiles {
        config: required(files, layout::CONFIG)?.clone(),
        tokenizer: required(files, layout::TOKENIZER)?.clone(),
        weights: required(files, layout::WEIGHTS)?.clone(),
    };
    Ok((Engine::load(&base, device, max_len)?, normalize))
}

/// Whether exported files hold an embedding model (`webtune.json` says so, or there is no head).
pub fn is_embedding(files: &BTreeMap<String, Vec<u8>>) -> bool {
    let declared = files
        .get(layout::WEBTUNE)
        .and_then(|w| serde_json::from_slice::<Value>(w).ok())
        .and_then(|w| {
            w.get("kind")
                .and_then(Value::as_str)
                .map(|k| k == "embedding")
        });
    declared.unwrap_or_else(|| {
        !files.contains_key(layout::DENSE_WEIGHTS)
            && !files.contains_key(layout::NORMALIZED_DENSE_WEIGHTS)
    })
}

/// Label names from `config.json`'s `id2label`, in id order.
fn labels_of(config: &Value) -> Result<LabelSet> {
    let map = config
        .get("id2label")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::Config("no id2label: this is a base model, not a fine-tuned classifier".into())
        })?;
    let mut pairs: Vec<(usize, String)> = map
        .iter()
        .map(|(k, v)| {
            let id = k
                .parse::<usize>()
                .map_err(|_| Error::Config(format!("id2label key \"{k}\" is not a number")))?;
            let name = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            Ok((id, name))
        })
        .collect::<Result<_>>()?;
    pairs.sort();
    if pairs.iter().enumerate().any(|(i, (id, _))| *id != i) {
        return Err(Error::Config("id2label ids must be 0, 1, 2, ...".into()));
    }
    Ok(LabelSet::from_names(
        pairs.into_iter().map(|(_, n)| n).collect(),
    ))
}
