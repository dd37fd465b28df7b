//! The CLI and the browser run one training job (`webtune::job`): the same request, from the
//! CLI's flags or from the page's camelCase JSON, gives the same `webtune.json` and the same
//! weights. The browser side is driven here as the facade drives it — JSON through the boundary's
//! key conversion, `TrainRequest::prepare`, `job::run`, the export — so the test runs natively.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;
use webtune::engine::Engine;
use webtune::export::{self, ExportMeta};
use webtune::job::{self, DataFile, TrainRequest};
use webtune::tokenize::DEFAULT_MAX_LEN;
use webtune::train::{Progress, TrainHost};

struct Quiet;
impl TrainHost for Quiet {
    fn progress(&mut self, _: &Progress) {}
}

/// Drops what differs between two runs of the same job: wall-clock times.
fn without_timings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for key in ["seconds", "train_seconds", "examples_per_sec"] {
                m.remove(key);
            }
            m.values_mut().for_each(without_timings);
        }
        Value::Array(a) => a.iter_mut().for_each(without_timings),
        _ => {}
    }
}

fn webtune_json(files: &BTreeMap<String, Vec<u8>>) -> Value {
    let mut v: Value = serde_json::from_slice(&files[export::layout::WEBTUNE]).unwrap();
    without_timings(&mut v);
    v
}

#[test]
fn the_cli_and_the_browsers_request_write_the_same_model() {
    same_model_from_both(None);
}

/// The page loads the model once at the default length; a request's `maxLen` still governs
/// training, prediction and the export, as `--max-len` does for the CLI.
#[test]
fn a_max_len_in_the_request_is_the_models_in_both_front_ends() {
    let webtune = same_model_from_both(Some(64));
    assert_eq!(webtune["max_seq_length"], 64);
    assert_eq!(webtune["training"]["config"]["max_len"], 64);
}

/// Trains once through the CLI binary and once as the page's request does; returns `webtune.json`.
fn same_model_from_both(max_len: Option<usize>) -> Value {
    let dir = std::env::temp_dir().join(format!(
        "webtune-one-job-{}-{}",
        std::process::id(),
        max_len.unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("tiny-sentiment.csv");
    let valid = dir.join("tiny-valid.csv");
    let csv = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e/fixtures/tiny-sentiment.csv"),
    )
    .unwrap();
    std::fs::write(&data, &csv).unwrap();
    std::fs::write(
        &valid,
        b"text,label\nwhat a delight,pos\ndull and slow,neg\n",
    )
    .unwrap();
    let out = dir.join("cli");

    let status = Command::new(env!("CARGO_BIN_EXE_webtune"))
        .args(["train", "--quiet", "--backend", "cpu", "--model"])
        .arg(common::model_dir())
        .arg("--data")
        .arg(&data)
        .arg("--valid")
        .arg(&valid)
        .args([
            "--strategy",
            "head",
            "--epochs",
            "3",
            "--batch",
            "8",
            "--seed",
            "5",
        ])
        .args(["--lr-head", "0.01", "--no-dropout", "--out"])
        .arg(&out)
        .args(
            max_len
                .map(|n| ["--max-len".to_string(), n.to_string()])
                .into_iter()
                .flatten(),
        )
        .status()
        .expect("the CLI runs");
    assert!(status.success());
    let cli = export::read_dir(&out).unwrap();

    // What the page sends (www/webtune.js builds it from the library's options).
    let mut page_json = serde_json::json!({
        "strategy": "head", "epochs": 3, "batchSize": 8, "seed": 5, "lrHead": 0.01,
        "dropout": false, "baseModel": "all-MiniLM-L6-v2",
    });
    if let Some(n) = max_len {
        page_json["maxLen"] = n.into();
    }
    let request: TrainRequest =
        serde_json::from_value(webtune::case::to_snake(page_json).unwrap()).unwrap();
    let engine = Engine::load(
        &common::model_files(),
        &burn::prelude::Device::flex(),
        DEFAULT_MAX_LEN,
    )
    .unwrap();
    let valid_bytes = std::fs::read(&valid).unwrap();
    let prepared = request
        .prepare(
            DataFile {
                name: "tiny-sentiment.csv",
                bytes: &csv,
            },
            Some(DataFile {
                name: "tiny-valid.csv",
                bytes: &valid_bytes,
            }),
            None,
        )
        .unwrap();
    let trained = pollster::block_on(job::run(&engine, None, &prepared, &mut Quiet)).unwrap();
    let meta = ExportMeta {
        training: Some(trained.record.to_json()),
        adapter: false,
    };
    let page: BTreeMap<String, Vec<u8>> =
        pollster::block_on(export::export(&trained.classifier, &meta))
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect();

    let (a, b) = (webtune_json(&cli), webtune_json(&page));
    assert_eq!(
        a, b,
        "webtune.json from the CLI and from the page's request"
    );
    let t = &a["training"];
    assert_eq!(
        t["data"], "tiny-sentiment.csv",
        "files are named, never their folders"
    );
    assert_eq!(t["valid_data"], "tiny-valid.csv");
    assert_eq!(t["base_model"], "all-MiniLM-L6-v2");
    assert_eq!(
        t["config"]["strategy"], "head",
        "the strategy's one string form"
    );
    assert_eq!(t["epochs"].as_array().map(Vec::len), Some(3));
    assert_eq!(t["cancelled"], false);
    for (name, bytes) in &page {
        if name != export::layout::WEBTUNE {
            let written = std::fs::read(out.join(name)).unwrap_or_default();
            assert!(
                &written == bytes,
                "{name} differs between the two front ends"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    a
}
