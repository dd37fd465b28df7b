//! Every reader of bytes a user hands over, as one entry point each: what the fuzz targets
//! (`fuzz/fuzz_targets/`, run by `./scripts/fuzz`) call, and what this module's tests replay on
//! the fuzz corpus in CI.
//!
//! Each must end in `Ok` or an `Err` with a message: never a panic (in a browser a panic kills
//! the wasm module) and never an allocation that the input's size does not justify (the fuzzer
//! runs with a memory limit, so one counts as a crash).

use std::sync::OnceLock;

use burn::prelude::Device;

use crate::data::pairs::{PairColumns, header_kind, parse_pairs};
use crate::data::{
    Format, ParseOptions, Targets, Task, multi_label_split, parse, random_split, stratified_split,
};
use crate::export::{self, archive};
use crate::model::{BertConfig, Head, TextClassifier};
use crate::train::checkpoint::{self, Checkpoint};
use crate::train::optim::Optimizer;
use crate::train::strategy::Strategy;
use crate::weights::{load_dense_head, load_encoder};

/// The formats a dataset input's first byte selects, so one corpus reaches every parser.
const FORMATS: [Option<Format>; 5] = [
    None,
    Some(Format::Csv),
    Some(Format::Tsv),
    Some(Format::Jsonl),
    Some(Format::Txt),
];

/// A dataset file: its first byte picks the format (sniffed, CSV, TSV, JSONL, TXT) and the task
/// (detected, single, multi, regression), the rest is the file. Read as labelled texts (then as
/// a training set, split as its task is) and as pairs.
pub fn dataset(bytes: &[u8]) {
    let Some((&selector, body)) = bytes.split_first() else {
        return;
    };
    let format = FORMATS[selector as usize % FORMATS.len()];
    let task = [
        None,
        Some(Task::Single),
        Some(Task::Multi),
        Some(Task::Regression),
    ][(selector as usize / FORMATS.len()) % 4];
    let options = ParseOptions {
        file_name: "fuzz".into(),
        format,
        task,
        ..Default::default()
    };
    if let Ok(parsed) = parse(body, &options) {
        let _ = parsed.class_counts();
        let _ = (parsed.score_range(), parsed.unlabelled());
        if let Ok(set) = parsed.into_training_set() {
            match &set.targets {
                Targets::Classes => {
                    let _ = stratified_split(&set, &vec![1; set.label_set.len()], 7);
                }
                Targets::Multi(lists) => {
                    let _ = multi_label_split(lists, set.label_set.len(), set.len() / 4, 7);
                }
                Targets::Scores(_) => {
                    let _ = random_split(set.len(), set.len() / 4, 7);
                }
            }
        }
    }
    let _ = header_kind(body, "fuzz", format);
    if let Ok(pairs) = parse_pairs(body, "fuzz", format, &PairColumns::default()) {
        let _ = pairs.score_range(None);
    }
}

/// `model.safetensors` for [`TINY_CONFIG`]'s encoder, and a two-label Dense head's file.
pub fn safetensors(bytes: &[u8]) {
    let device = Device::flex();
    let _ = load_encoder(tiny_config(), bytes, &device);
    let _ = load_dense_head(bytes, "fuzz", 8, 2, &device);
}

/// `config.json`, then the encoder it describes loaded from [`tiny_weights`]: absurd sizes must
/// be refused before anything is allocated.
pub fn config(bytes: &[u8]) {
    if let Ok(config) = BertConfig::from_json(bytes) {
        let _ = config.parameter_count();
        let _ = load_encoder(&config, tiny_weights(), &Device::flex());
    }
}

/// A model archive as the page imports it: unpacked, then loaded as a classifier and as an
/// embedding model.
pub fn model_zip(bytes: &[u8]) {
    let Ok(files) = archive::from_zip(bytes) else {
        return;
    };
    let device = Device::flex();
    let _ = export::import(&files, &device);
    let _ = export::import_embedding(&files, &device);
}

/// A checkpoint file, read as a resume reads it onto [`tiny_classifier`]: the file, the model's
/// and the best epoch's weights put into the model, AdamW's moments into an optimiser.
pub fn checkpoint(bytes: &[u8]) {
    let Ok(c) = Checkpoint::from_bytes(bytes, "fuzz") else {
        return;
    };
    let model = tiny_classifier();
    let _ = checkpoint::load_params(model.clone(), &c.best(), |p| p.trainable);
    if let (Ok(model), Ok(moments)) = (
        checkpoint::load_params(model, &c.model(), |p| p.trainable),
        c.moments(),
    ) {
        let _ = Optimizer::new(0.01, None).restore_moments(&model, moments, &Device::flex());
    }
}

/// [`TINY_CONFIG`]'s classifier of 2 labels as `last1` trains it (the last layer and the head),
/// on the autodiff device as in training (elsewhere no parameter counts as trainable).
pub fn tiny_classifier() -> TextClassifier {
    let device = Device::flex().autodiff();
    let (encoder, _) = load_encoder(tiny_config(), tiny_weights(), &device).expect("sizes agree");
    let head = Head::new(burn::nn::LinearConfig::new(8, 2).init(&device), false);
    Strategy::Last { k: 1 }.apply(TextClassifier { encoder, head })
}

/// A checkpoint of [`tiny_classifier`] after its first epoch of three, made the way the trainer
/// makes one (every trainable parameter by path, its two moments and step count), with
/// deterministic values: the fuzz corpus's seeds (`checkpoint` and, with the best epoch's
/// weights stored apart, `checkpoint-best`), which a test keeps in step with this code.
pub fn tiny_checkpoint(best_apart: bool) -> Vec<u8> {
    use crate::train::checkpoint::{BEST, CheckpointMeta, FIRST_MOMENT, MODEL, SECOND_MOMENT};
    let mut tensors = crate::export::tensors::HostTensors::new();
    let mut adam_steps = std::collections::BTreeMap::new();
    let trainable = checkpoint::params(&tiny_classifier())
        .into_iter()
        .filter(|p| p.trainable);
    for (i, p) in trainable.enumerate() {
        let n = p.shape.iter().product::<usize>();
        let values = |scale: f32| (0..n).map(|j| scale * ((i + j) % 7) as f32).collect();
        let mut prefixes = vec![(MODEL, 0.01), (FIRST_MOMENT, 0.001), (SECOND_MOMENT, 1e-6)];
        if best_apart {
            prefixes.push((BEST, 0.02));
        }
        for (prefix, scale) in prefixes {
            tensors.insert(
                format!("{prefix}{}", p.path),
                (p.shape.clone(), values(scale)),
            );
        }
        adam_steps.insert(p.path, 3);
    }
    let report = crate::train::progress::EpochReport {
        epoch: 1,
        train_loss: 0.69,
        valid: None,
        similarity: None,
        seconds: 1.0,
        train_seconds: 0.5,
        examples_per_sec: 24.0,
        best: !best_apart,
    };
    let meta = CheckpointMeta {
        format: checkpoint::FORMAT,
        identity: Some(checkpoint::RunIdentity {
            settings: serde_json::json!({"strategy": "last1", "epochs": 3, "seed": 7}),
            base_model: Some("tiny".into()),
            files: vec![checkpoint::Fingerprint::of(
                "train.csv",
                b"text,label\ngood,pos\n",
            )],
        }),
        epochs_done: 1,
        step: 3,
        steps_per_epoch: 3,
        total_steps: 9,
        step_losses: vec![0.7, 0.69, 0.68],
        epochs: vec![report],
        best: Some(checkpoint::BestSoFar {
            epoch: 1,
            score: (0.5, -0.69),
        }),
        best_is_current: !best_apart,
        since_best: 0,
        dropout_rng: 42,
        adam_steps,
        train_seconds: 0.5,
    };
    Checkpoint { meta, tensors }
        .to_bytes()
        .expect("a checkpoint of the tiny model serialises")
}

/// A BERT of 2 layers, hidden size 8: the shape of the fuzz corpus's models.
pub const TINY_CONFIG: &str = r#"{"model_type":"bert","vocab_size":20,"hidden_size":8,
  "num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":16,
  "max_position_embeddings":16,"type_vocab_size":2,"layer_norm_eps":1e-12,"hidden_act":"gelu"}"#;

fn tiny_config() -> &'static BertConfig {
    static CONFIG: OnceLock<BertConfig> = OnceLock::new();
    CONFIG.get_or_init(|| BertConfig::from_json(TINY_CONFIG.as_bytes()).expect("a valid config"))
}

/// [`TINY_CONFIG`]'s weights, all zero, in HF names and layout.
pub fn tiny_weights() -> &'static [u8] {
    static WEIGHTS: OnceLock<Vec<u8>> = OnceLock::new();
    WEIGHTS.get_or_init(|| {
        let (v, h, f, p, t) = (20, 8, 16, 16, 2);
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            ("embeddings.word_embeddings.weight".into(), vec![v, h]),
            ("embeddings.position_embeddings.weight".into(), vec![p, h]),
            ("embeddings.token_type_embeddings.weight".into(), vec![t, h]),
            ("embeddings.LayerNorm.weight".into(), vec![h]),
            ("embeddings.LayerNorm.bias".into(), vec![h]),
        ];
        for i in 0..2 {
            let l = format!("encoder.layer.{i}");
            for (name, out, inp) in [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("intermediate.dense", f, h),
                ("output.dense", h, f),
            ] {
                shapes.push((format!("{l}.{name}.weight"), vec![out, inp]));
                shapes.push((format!("{l}.{name}.bias"), vec![out]));
            }
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                shapes.push((format!("{l}.{norm}.weight"), vec![h]));
                shapes.push((format!("{l}.{norm}.bias"), vec![h]));
            }
        }
        let zeros: Vec<Vec<u8>> = shapes
            .iter()
            .map(|(_, s)| vec![0u8; 4 * s.iter().product::<usize>()])
            .collect();
        let views = shapes.iter().zip(&zeros).map(|((name, shape), data)| {
            let view = safetensors::tensor::TensorView::new(
                safetensors::tensor::Dtype::F32,
                shape.clone(),
                data,
            )
            .expect("sizes agree");
            (name.clone(), view)
        });
        safetensors::serialize(views, None).expect("serialisable")
    })
}

/// The fuzz corpus (`fuzz/corpus/<target>/`: the seeds, and every input a fuzzing run found to
/// crash, kept as `regression-*`) replayed as an ordinary test: no input may panic. And the
/// seeds still mean what they were written for (a corpus of inputs that fail at the first check
/// would fuzz nothing).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::collections::BTreeMap;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::{Path, PathBuf};

    use super::*;

    #[test]
    fn the_tiny_weights_fit_the_tiny_config() {
        let (encoder, report) = load_encoder(tiny_config(), tiny_weights(), &Device::flex())
            .expect("the fuzz targets' fixed model loads");
        assert_eq!(encoder.num_layers(), 2);
        assert!(report.skipped.is_empty());
    }

    fn corpus(target: &str) -> BTreeMap<String, Vec<u8>> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read(&path).unwrap());
        }
        assert!(
            files.keys().any(|n| n.starts_with("seed-")),
            "{}: no seeds (scripts/fuzz_seeds.py writes them)",
            dir.display()
        );
        files
    }

    #[test]
    fn no_corpus_input_panics() {
        type Target = (&'static str, fn(&[u8]));
        let targets: [Target; 5] = [
            ("dataset", super::dataset),
            ("safetensors", super::safetensors),
            ("config", super::config),
            ("model_zip", super::model_zip),
            ("checkpoint", super::checkpoint),
        ];
        let mut panicked = Vec::new();
        let mut count = 0;
        for (target, run) in targets {
            for (name, bytes) in corpus(target) {
                count += 1;
                if catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err() {
                    panicked.push(format!("fuzz/corpus/{target}/{name}"));
                }
            }
        }
        assert!(panicked.is_empty(), "these inputs panic: {panicked:?}");
        assert!(count >= 30, "only {count} corpus inputs");
    }

    /// The checkpoint seeds are [`tiny_checkpoint`]'s (and the first half of one): rewritten by
    /// `WEBTUNE_WRITE_FUZZ_SEEDS=1 cargo test --lib untrusted`, checked otherwise. Each whole one
    /// resumes onto the tiny classifier, so the fuzzer starts from files that reach every step.
    #[test]
    fn the_checkpoint_seeds_are_the_trainers_layout_and_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/checkpoint");
        let whole = tiny_checkpoint(false);
        let seeds = [
            ("checkpoint", whole.clone()),
            ("checkpoint-best", tiny_checkpoint(true)),
            ("checkpoint-cut", whole[..whole.len() / 2].to_vec()),
        ];
        for (name, bytes) in &seeds {
            let path = dir.join(format!("seed-{name}"));
            if std::env::var_os("WEBTUNE_WRITE_FUZZ_SEEDS").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, bytes).unwrap();
            }
            assert!(
                std::fs::read(&path).is_ok_and(|b| b == *bytes),
                "{} is not what tiny_checkpoint writes: WEBTUNE_WRITE_FUZZ_SEEDS=1 cargo test --lib untrusted",
                path.display()
            );
        }
        let trainable = checkpoint::params(&tiny_classifier())
            .iter()
            .filter(|p| p.trainable)
            .count();
        assert_eq!(trainable, 18, "last1: 16 in the layer, 2 in the head");
        for (name, bytes) in &seeds[..2] {
            let c = Checkpoint::from_bytes(bytes, name).unwrap();
            let stored = if *name == "checkpoint" { 3 } else { 4 };
            assert_eq!(c.tensors.len(), stored * trainable, "{name}");
            let model = checkpoint::load_params(tiny_classifier(), &c.model(), |p| p.trainable)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            checkpoint::load_params(tiny_classifier(), &c.best(), |p| p.trainable).unwrap();
            Optimizer::new(0.01, None)
                .restore_moments(&model, c.moments().unwrap(), &Device::flex())
                .unwrap();
        }
        let cut = Checkpoint::from_bytes(&seeds[2].1, "cut").unwrap_err();
        assert!(
            cut.to_string().contains("not a webtune checkpoint"),
            "{cut}"
        );
    }

    fn seed(target: &str, name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target)
            .join(format!("seed-{name}"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn the_seeds_reach_past_the_first_check() {
        let device = Device::flex();
        for name in ["classifier", "classifier-in-folder"] {
            let files = archive::from_zip(&seed("model_zip", name)).unwrap();
            let c = export::import(&files, &device).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.labels.names(), ["neg", "pos"]);
        }
        let files = archive::from_zip(&seed("model_zip", "embedding")).unwrap();
        let (_, normalize) = export::import_embedding(&files, &device).unwrap();
        assert!(normalize);
        let climbing = archive::from_zip(&seed("model_zip", "climbing")).unwrap_err();
        assert!(climbing.to_string().contains("unsafe path"), "{climbing}");
        let files = archive::from_zip(&seed("model_zip", "missing-weights")).unwrap();
        let missing = export::import(&files, &device).unwrap_err().to_string();
        assert!(
            missing.contains("model.safetensors is missing"),
            "{missing}"
        );

        let config = crate::model::BertConfig::from_json(super::TINY_CONFIG.as_bytes()).unwrap();
        for name in ["tiny-f32", "tiny-f16", "tiny-bert-prefix"] {
            crate::weights::load_encoder(&config, &seed("safetensors", name), &device)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for name in ["huge-hidden", "huge-layers", "huge-ffn"] {
            let c = crate::model::BertConfig::from_json(&seed("config", name)).unwrap();
            let e = crate::weights::load_encoder(&c, super::tiny_weights(), &device)
                .err()
                .unwrap_or_else(|| panic!("{name} loaded"));
            assert!(
                e.to_string().contains("do not belong together"),
                "{name}: {e}"
            );
        }
        let options = crate::data::ParseOptions::default();
        let csv = crate::data::parse(&seed("dataset", "csv")[1..], &options).unwrap();
        assert_eq!(csv.into_training_set().unwrap().len(), 4);
    }
}
