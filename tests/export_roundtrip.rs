//! Export writes the sentence-transformers layout (names, shapes, configs as sentence-transformers
//! 6.2 writes them), and import gives back a model with identical predictions — from a folder,
//! from a zip, with LoRA adapters merged.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use common::train_support::*;
use common::*;
use safetensors::SafeTensors;
use serde_json::Value;
use webtune::classifier::Classifier;
use webtune::engine::BatchLimits;
use webtune::export::{self, ExportMeta, archive, layout};
use webtune::train::{LoraSpec, Strategy, TrainConfig, train};

const PROBES: &[&str] = &[
    "a gorgeous, witty, seductive movie.",
    "dull and far too long",
    "",
    "東京 🙂",
];

fn trained(strategy: Strategy) -> Classifier {
    let engine = cpu_engine();
    let config = TrainConfig {
        strategy,
        epochs: Some(1),
        batch_size: 16,
        ..TrainConfig::default()
    };
    let outcome = pollster::block_on(train(
        &engine,
        None,
        &sst2("train-2000.csv", 64),
        &sst2("dev.csv", 16),
        &config,
        &mut RecordingHost::default(),
    ))
    .unwrap();
    Classifier::from_training(&engine, &outcome)
}

fn logits(c: &Classifier) -> Vec<f32> {
    pollster::block_on(c.logits(PROBES, BatchLimits::default())).unwrap()
}

fn files_map(files: &[export::ExportFile]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|f| (f.path.clone(), f.bytes.clone()))
        .collect()
}

fn json(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Value {
    serde_json::from_slice(&files[path]).unwrap()
}

fn st_layout(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(shared_dir().join("notes/st-layout").join(path)).unwrap())
        .unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("webtune-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn export_matches_the_sentence_transformers_layout_and_round_trips() {
    let c = trained(Strategy::Head);
    let files = files_map(&pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap());

    // Configs as sentence-transformers 6.2 writes them for this stack.
    assert_eq!(json(&files, layout::MODULES), st_layout("modules.json"));
    assert_eq!(
        json(&files, layout::POOLING_CONFIG),
        st_layout("1_Pooling/config.json")
    );
    let mut dense = st_layout("2_Dense/config.json");
    dense["out_features"] = Value::from(2);
    assert_eq!(json(&files, layout::DENSE_CONFIG), dense);
    let sbert = json(&files, layout::SBERT_CONFIG);
    for (k, v) in st_layout("sentence_bert_config.json").as_object().unwrap() {
        assert_eq!(&sbert[k], v, "sentence_bert_config.json {k}");
    }
    assert_eq!(sbert["max_seq_length"], 128);
    let config = json(&files, layout::CONFIG);
    assert_eq!(
        config["id2label"],
        serde_json::json!({"0": "negative", "1": "positive"})
    );
    assert_eq!(
        config["label2id"],
        serde_json::json!({"negative": 0, "positive": 1})
    );
    assert_eq!(config["architectures"], serde_json::json!(["BertModel"]));
    for key in [
        "hidden_size",
        "num_hidden_layers",
        "layer_norm_eps",
        "vocab_size",
        "hidden_act",
    ] {
        assert_eq!(
            config[key],
            st_layout("config.json")[key],
            "config.json {key}"
        );
    }

    // The encoder under its original names and shapes; frozen (head strategy) → bitwise equal.
    let original = std::fs::read(model_dir().join("model.safetensors")).unwrap();
    let original = SafeTensors::deserialize(&original).unwrap();
    let exported = SafeTensors::deserialize(&files[layout::WEIGHTS]).unwrap();
    let mut want: Vec<&str> = original
        .names()
        .into_iter()
        .filter(|n| *n != "embeddings.position_ids")
        .collect();
    want.sort();
    let mut got = exported.names();
    got.sort();
    assert_eq!(got, want);
    for name in got {
        let (a, b) = (
            exported.tensor(name).unwrap(),
            original.tensor(name).unwrap(),
        );
        assert_eq!(a.shape(), b.shape(), "{name}");
        assert_eq!(
            a.data(),
            b.data(),
            "{name}: frozen weights are written back bit for bit"
        );
    }
    let dense_w = SafeTensors::deserialize(&files[layout::DENSE_WEIGHTS]).unwrap();
    assert_eq!(dense_w.tensor("linear.weight").unwrap().shape(), [2, 384]);
    assert_eq!(dense_w.tensor("linear.bias").unwrap().shape(), [2]);

    // Folder round trip: identical predictions.
    let dir = temp_dir("export");
    let list = pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap();
    export::write_dir(&list, &dir).unwrap();
    let back = export::import(&export::read_dir(&dir).unwrap(), &c.engine.device).unwrap();
    assert_eq!(back.labels, c.labels);
    assert_eq!(logits(&back), logits(&c));

    // Zip round trip: identical predictions.
    let zip = archive::to_zip(&list).unwrap();
    let back = export::import(&archive::from_zip(&zip).unwrap(), &c.engine.device).unwrap();
    assert_eq!(logits(&back), logits(&c));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `logreg` head reads the L2-normalised embedding: the export puts sentence-transformers'
/// `Normalize` before the Dense head, as sentence-transformers 6.2 writes that stack (checked
/// with `SentenceTransformer(modules=[..., Pooling, Normalize(), Dense]).save`), and import
/// reads it back with identical predictions.
#[test]
fn logreg_exports_normalize_before_the_head_and_round_trips() {
    let c = trained(Strategy::Logreg);
    assert!(c.head.normalize);
    let list = pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap();
    let files = files_map(&list);
    let types: Vec<(String, String)> = json(&files, layout::MODULES)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        types[2..],
        [
            (
                "2_Normalize".to_string(),
                "sentence_transformers.base.modules.normalize.Normalize".to_string()
            ),
            (
                "3_Dense".to_string(),
                "sentence_transformers.base.modules.dense.Dense".to_string()
            )
        ]
    );
    assert_eq!(
        json(&files, layout::NORMALIZE_CONFIG),
        serde_json::json!({"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"})
    );
    assert!(!files.contains_key(layout::DENSE_WEIGHTS));
    let dense_w = SafeTensors::deserialize(&files[layout::NORMALIZED_DENSE_WEIGHTS]).unwrap();
    assert_eq!(dense_w.tensor("linear.weight").unwrap().shape(), [2, 384]);

    let dir = temp_dir("export-logreg");
    export::write_dir(&list, &dir).unwrap();
    let back = export::import(&export::read_dir(&dir).unwrap(), &c.engine.device).unwrap();
    assert!(back.head.normalize);
    assert_eq!(logits(&back), logits(&c));
    std::fs::remove_dir_all(&dir).unwrap();

    // The same head without the Normalize step computes something else: the flag matters.
    let mut plain = back.clone();
    plain.head.normalize = false;
    assert!(max_abs_diff(&logits(&plain), &logits(&c)) > 1e-2);
}

#[test]
fn import_refuses_a_module_stack_it_would_compute_differently() {
    let c = trained(Strategy::Head);
    let mut files =
        files_map(&pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap());
    files.insert(
        layout::MODULES.to_string(),
        br#"[{"idx": 0, "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
            {"idx": 2, "path": "2_Dense", "type": "sentence_transformers.base.modules.dense.Dense"},
            {"idx": 3, "path": "3_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}]"#
            .to_vec(),
    );
    let err = export::import(&files, &c.engine.device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("modules.json") && err.contains("Transformer, Pooling, Dense, Normalize"),
        "{err}"
    );
}

#[test]
fn lora_exports_merged_weights_and_the_adapter_alone() {
    let c = trained(Strategy::Lora(LoraSpec {
        rank: 4,
        alpha: 8.0,
        layers: Some(2),
        ffn: false,
    }));
    let files = files_map(
        &pollster::block_on(export::export(
            &c,
            &ExportMeta {
                adapter: true,
                ..Default::default()
            },
        ))
        .unwrap(),
    );
    let back = export::import(&files, &c.engine.device).unwrap();
    let (a, b) = (logits(&c), logits(&back));
    assert!(
        max_abs_diff(&a, &b) <= 1e-5,
        "merged export predicts as the adapted model: {a:?} vs {b:?}"
    );
    assert!(
        back.engine.encoder.layers[5]
            .attention
            .query
            .weight
            .adapter()
            .is_none(),
        "import holds merged weights"
    );

    let adapter = SafeTensors::deserialize(&files[layout::ADAPTER_WEIGHTS]).unwrap();
    let mut names = adapter.names();
    names.sort();
    assert_eq!(
        names.len(),
        8,
        "A and B for query and value of layers 4 and 5"
    );
    let a = adapter
        .tensor("base_model.model.encoder.layer.5.attention.self.query.lora_A.weight")
        .unwrap();
    let b = adapter
        .tensor("base_model.model.encoder.layer.5.attention.self.query.lora_B.weight")
        .unwrap();
    assert_eq!((a.shape(), b.shape()), (&[4, 384][..], &[384, 4][..]));
    let cfg = json(&files, layout::ADAPTER_CONFIG);
    assert_eq!(
        (cfg["r"].as_u64(), cfg["lora_alpha"].as_f64()),
        (Some(4), Some(8.0))
    );
    assert_eq!(cfg["layers_to_transform"], serde_json::json!([4, 5]));
}

#[test]
fn an_imported_model_continues_training_with_its_labels() {
    let c = trained(Strategy::Head);
    let files = files_map(&pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap());
    let back = export::import(&files, &c.engine.device).unwrap();
    let config = TrainConfig {
        strategy: Strategy::Head,
        epochs: Some(1),
        batch_size: 16,
        ..TrainConfig::default()
    };
    let train_set = sst2("train-2000.csv", 32);
    assert_eq!(train_set.label_set, back.labels);
    let outcome = pollster::block_on(train(
        &back.engine,
        Some(back.head.clone()),
        &train_set,
        &sst2("dev.csv", 8),
        &config,
        &mut RecordingHost::default(),
    ))
    .unwrap();
    assert_eq!(outcome.labels, back.labels);
    assert_eq!(outcome.step_losses.len(), 2);
}

#[test]
fn importing_a_base_model_as_a_classifier_says_what_is_missing() {
    let mut files = BTreeMap::new();
    for f in ["config.json", "tokenizer.json", "model.safetensors"] {
        files.insert(f.to_string(), std::fs::read(model_dir().join(f)).unwrap());
    }
    let err = export::import(&files, &burn::prelude::Device::flex())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no id2label") || err.contains("2_Dense"),
        "{err}"
    );
}

/// The first `n` STS-B training pairs, read as the CLI reads them (sentence pairs, scores).
fn stsb_pairs(n: usize) -> webtune::data::Dataset {
    let path = shared_dir().join("data/stsb/train.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let head: String = text.lines().take(n + 1).map(|l| format!("{l}\n")).collect();
    webtune::data::parse(
        head.as_bytes(),
        &webtune::data::ParseOptions {
            file_name: "stsb.csv".into(),
            ..Default::default()
        },
    )
    .unwrap()
    .into_training_set()
    .unwrap()
}

/// A regression model on sentence pairs and a multi-label model go out and come back with their
/// task, their pairs, their thresholds and the same outputs; config.json says the task as
/// `transformers` reads it and points `AutoModelForSequenceClassification` at modeling_webtune.py.
#[test]
fn other_tasks_round_trip_with_what_they_predict() {
    use webtune::data::{Targets, Task};
    let engine = cpu_engine();
    let config = TrainConfig {
        strategy: Strategy::Head,
        epochs: Some(1),
        batch_size: 16,
        ..TrainConfig::default()
    };
    let set = stsb_pairs(48);
    let (train_set, valid) = (
        set.subset(&(0..32).collect::<Vec<_>>()),
        set.subset(&(32..48).collect::<Vec<_>>()),
    );
    let outcome = pollster::block_on(train(
        &engine,
        None,
        &train_set,
        &valid,
        &config,
        &mut RecordingHost::default(),
    ))
    .unwrap();
    assert_eq!(outcome.task, Task::Regression);
    let c = Classifier::from_training(&engine, &outcome);
    assert!(c.pairs, "trained on pairs, it reads pairs");
    let first = ["A man is playing a flute.", "A cat sleeps."];
    let second = ["A man plays the flute.", "Stocks fell."];
    let before =
        pollster::block_on(c.predict_pairs(&first, &second, BatchLimits::default())).unwrap();
    assert!(before[0].score.is_some() && before[0].probabilities.is_empty());
    // The head predicts on the targets' scale: the validation metrics were computed from it.
    let m = pollster::block_on(c.evaluate(&valid, BatchLimits::default())).unwrap();
    let epoch = outcome.epochs[0]
        .valid
        .as_ref()
        .unwrap()
        .regression
        .clone()
        .unwrap();
    let now = m.regression.unwrap();
    assert!(
        (now.spearman - epoch.spearman).abs() < 1e-6 && (now.rmse - epoch.rmse).abs() < 1e-4,
        "{now:?} vs {epoch:?}"
    );
    let files = files_map(&pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap());
    let config_json = json(&files, layout::CONFIG);
    assert_eq!(config_json["problem_type"], "regression");
    assert_eq!(config_json["id2label"], serde_json::json!({"0": "score"}));
    assert_eq!(
        config_json["auto_map"]["AutoModelForSequenceClassification"],
        "modeling_webtune.WebtuneBertForSequenceClassification"
    );
    assert!(files.contains_key(layout::MODELING));
    let back = export::import(&files, &burn::prelude::Device::flex()).unwrap();
    assert_eq!((back.task, back.pairs), (Task::Regression, true));
    let after =
        pollster::block_on(back.predict_pairs(&first, &second, BatchLimits::default())).unwrap();
    for (a, b) in before.iter().zip(&after) {
        assert!((a.score.unwrap() - b.score.unwrap()).abs() < 1e-5);
    }
    let e = pollster::block_on(back.predict(&first, BatchLimits::default())).unwrap_err();
    assert!(e.to_string().contains("reads pairs of texts"), "{e}");

    // Multi-label: SST-2 rows whose labels become lists (each row its class, and "long" when
    // the text has more than six words) — a real text set with two labels a row at times.
    let sst = sst2("train-2000.csv", 48);
    let body: String = std::iter::once("text,labels\n".to_string())
        .chain(sst.texts.iter().zip(&sst.labels).map(|(t, &l)| {
            let mut labels = vec![sst.label_set.name(l).to_string()];
            if t.split_whitespace().count() > 6 {
                labels.push("long".into());
            }
            format!("\"{}\",{}\n", t.replace('"', "\"\""), labels.join(";"))
        }))
        .collect();
    let multi = webtune::data::parse(body.as_bytes(), &Default::default())
        .unwrap()
        .into_training_set()
        .unwrap();
    assert!(matches!(multi.targets, Targets::Multi(_)));
    let (t, v) = (
        multi.subset(&(0..32).collect::<Vec<_>>()),
        multi.subset(&(32..48).collect::<Vec<_>>()),
    );
    let outcome = pollster::block_on(train(
        &engine,
        None,
        &t,
        &v,
        &config,
        &mut RecordingHost::default(),
    ))
    .unwrap();
    let thresholds = outcome.thresholds.clone().unwrap();
    assert_eq!(thresholds.len(), 3);
    let c = Classifier::from_training(&engine, &outcome);
    let files = files_map(&pollster::block_on(export::export(&c, &ExportMeta::default())).unwrap());
    assert_eq!(
        json(&files, layout::CONFIG)["problem_type"],
        "multi_label_classification"
    );
    let back = export::import(&files, &burn::prelude::Device::flex()).unwrap();
    assert_eq!(back.task, Task::Multi);
    assert_eq!(back.thresholds.as_deref(), Some(&thresholds[..]));
    let p = pollster::block_on(back.predict(PROBES, BatchLimits::default())).unwrap();
    let q = pollster::block_on(c.predict(PROBES, BatchLimits::default())).unwrap();
    assert_eq!(p, q);
    assert!(
        p.iter()
            .all(|x| x.labels.is_some() && x.probabilities.len() == 3)
    );
}
