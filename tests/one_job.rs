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
/// A pair model trained on a file whose header no detection rule knows (a public paraphrase
/// corpus's own, its columns named by flags) evaluates a test file with that header without the
/// flags: `webtune.json` records the columns it was trained on.
#[test]
fn eval_reads_a_file_by_the_columns_the_model_was_trained_on() {
    let dir = std::env::temp_dir().join(format!("webtune-columns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let subjects = [
        "the cat",
        "a storm",
        "the train",
        "our team",
        "the shop",
        "a child",
    ];
    let mut tsv = String::from("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n");
    for (i, s) in subjects.iter().cycle().take(24).enumerate() {
        let (second, same) = if i % 2 == 0 {
            (format!("{s} did it, as said on day {i}"), 1)
        } else {
            (format!("prices of bread rose in month {i}"), 0)
        };
        tsv.push_str(&format!(
            "{same}\t{}\t{}\t{s} did it on day {i}\t{second}\n",
            2 * i,
            2 * i + 1
        ));
    }
    let data = dir.join("train.tsv");
    std::fs::write(&data, &tsv).unwrap();
    let out = dir.join("model");
    let status = Command::new(env!("CARGO_BIN_EXE_webtune"))
        .args(["train", "--quiet", "--backend", "cpu", "--model"])
        .arg(common::model_dir())
        .arg("--data")
        .arg(&data)
        .args([
            "--text-col",
            "#1 String",
            "--text-pair-col",
            "#2 String",
            "--label-col",
            "Quality",
        ])
        .args([
            "--strategy",
            "head",
            "--epochs",
            "1",
            "--valid-fraction",
            "0",
            "--out",
        ])
        .arg(&out)
        .status()
        .expect("the CLI runs");
    assert!(status.success());
    let webtune: Value =
        serde_json::from_slice(&std::fs::read(out.join(export::layout::WEBTUNE)).unwrap()).unwrap();
    assert_eq!(
        webtune["training"]["columns"],
        serde_json::json!({"text_column": "#1 String", "text_pair_column": "#2 String", "label_column": "Quality"})
    );
    let eval = Command::new(env!("CARGO_BIN_EXE_webtune"))
        .args(["eval", "--backend", "cpu", "--model"])
        .arg(&out)
        .arg("--data")
        .arg(&data)
        .output()
        .expect("the CLI runs");
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let metrics: Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(metrics["examples"], 24);
    let _ = std::fs::remove_dir_all(&dir);
}

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

/// Keeps every checkpoint it is given, as the page's IndexedDB or the CLI's file keeps the last.
#[derive(Default)]
struct Memory(Vec<Vec<u8>>);

impl job::CheckpointStore for Memory {
    fn save(
        &mut self,
        bytes: &[u8],
        _: &webtune::train::checkpoint::CheckpointMeta,
    ) -> webtune::Result<()> {
        self.0.push(bytes.to_vec());
        Ok(())
    }
    fn place(&self) -> String {
        "memory".into()
    }
}

/// Records the events; with `stop_after_checkpoint`, stops the run once a checkpoint is kept
/// (the tab closed after an epoch).
#[derive(Default)]
struct Recorder {
    events: Vec<Progress>,
    stop_after_checkpoint: bool,
}

impl TrainHost for Recorder {
    fn progress(&mut self, event: &Progress) {
        self.events.push(event.clone());
    }
    fn cancelled(&self) -> bool {
        self.stop_after_checkpoint
            && self
                .events
                .iter()
                .any(|e| matches!(e, Progress::Checkpoint { skipped: None, .. }))
    }
}

/// `last1` with dropout (so the random generator's state matters), three epochs, validation
/// (so the best epoch is tracked), as the CLI flags in the test below say.
fn resumable_job(seed: u64, csv: &[u8]) -> job::PreparedJob {
    let request: TrainRequest = serde_json::from_value(serde_json::json!({
        "strategy": "last1", "epochs": 3, "batch_size": 8, "seed": seed,
        "base_model": "all-MiniLM-L6-v2",
    }))
    .unwrap();
    request
        .prepare(
            DataFile {
                name: "tiny-sentiment.csv",
                bytes: csv,
            },
            Some(DataFile {
                name: "tiny-valid.csv",
                bytes: TINY_VALID,
            }),
            None,
        )
        .unwrap()
}

const TINY_VALID: &[u8] = b"text,label\nwhat a delight,pos\ndull and slow,neg\n";

/// The model files of a finished job, but `webtune.json` (it holds timings).
fn model_files(trained: &job::Trained) -> BTreeMap<String, Vec<u8>> {
    let meta = ExportMeta {
        training: None,
        adapter: false,
    };
    pollster::block_on(export::export(&trained.classifier, &meta))
        .unwrap()
        .into_iter()
        .filter(|f| f.path != export::layout::WEBTUNE)
        .map(|f| (f.path, f.bytes))
        .collect()
}

#[test]
fn a_run_resumed_from_its_checkpoint_ends_with_the_uninterrupted_runs_weights() {
    let csv = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e/fixtures/tiny-sentiment.csv"),
    )
    .unwrap();
    let engine = Engine::load(
        &common::model_files(),
        &burn::prelude::Device::flex(),
        DEFAULT_MAX_LEN,
    )
    .unwrap();
    let job = resumable_job(7, &csv);
    let run = |host: &mut Recorder, store: Option<&mut Memory>, resume: Option<&[u8]>| {
        let checkpoints = store.map(|store| job::Checkpoints {
            store,
            limit_bytes: job::DEFAULT_CHECKPOINT_LIMIT,
            resume: resume.map(|b| (b, "checkpoint.safetensors")),
        });
        pollster::block_on(job::run_with_checkpoints(
            &engine,
            None,
            &job,
            host,
            checkpoints,
        ))
    };

    // Uninterrupted.
    let whole = run(&mut Recorder::default(), None, None).unwrap();
    assert_eq!(whole.outcome.epochs.len(), 3);

    // Stopped after the first epoch's checkpoint, then resumed from it.
    let (mut first, mut host) = (
        Memory::default(),
        Recorder {
            stop_after_checkpoint: true,
            ..Default::default()
        },
    );
    let stopped = run(&mut host, Some(&mut first), None).unwrap();
    assert!(stopped.outcome.cancelled);
    assert_eq!(stopped.outcome.epochs.len(), 1);
    assert_eq!(first.0.len(), 1, "one checkpoint, after epoch 1");
    let (mut second, mut host) = (Memory::default(), Recorder::default());
    let resumed = run(&mut host, Some(&mut second), Some(&first.0[0])).unwrap();
    assert!(
        host.events
            .iter()
            .any(|e| matches!(e, Progress::Resumed { epoch: 1, step: 3, epochs, step_losses } if epochs.len() == 1 && step_losses.len() == 3)),
        "{:?}",
        host.events
            .iter()
            .find(|e| matches!(e, Progress::Resumed { .. }))
    );
    assert_eq!(
        second.0.len(),
        1,
        "a checkpoint after epoch 2, none after the last"
    );
    assert_eq!(resumed.outcome.step_losses, whole.outcome.step_losses);
    let epochs = |t: &job::Trained| {
        let mut v = serde_json::to_value(&t.outcome.epochs).unwrap();
        without_timings(&mut v);
        v
    };
    assert_eq!(epochs(&resumed), epochs(&whole));
    assert_eq!(resumed.outcome.best_epoch, whole.outcome.best_epoch);
    assert!(
        model_files(&resumed) == model_files(&whole),
        "the resumed run's model differs from the uninterrupted run's"
    );

    // Another file, or other settings: refused, saying what differs.
    let mut other = csv.clone();
    other.extend_from_slice(b"one more,pos\n");
    let e = pollster::block_on(job::run_with_checkpoints(
        &engine,
        None,
        &resumable_job(7, &other),
        &mut Recorder::default(),
        Some(job::Checkpoints {
            store: &mut Memory::default(),
            limit_bytes: job::DEFAULT_CHECKPOINT_LIMIT,
            resume: Some((&first.0[0], "checkpoint.safetensors")),
        }),
    ))
    .err()
    .expect("another file is refused")
    .to_string();
    assert!(
        e.contains("was made for another training file") && e.contains("tiny-sentiment.csv"),
        "{e}"
    );
    let e = resumable_job(8, &csv)
        .checkpoint_for_this_run(&first.0[0], "checkpoint.safetensors")
        .map(|_| ())
        .expect_err("another seed is refused")
        .to_string();
    assert!(e.contains("seed 7 then, 8 now"), "{e}");
    let e = job::PreparedJob::checkpoint_for_this_run(&job, b"not a checkpoint", "x.safetensors")
        .map(|_| ())
        .expect_err("garbage is refused")
        .to_string();
    assert!(
        e.contains("x.safetensors is not a webtune checkpoint"),
        "{e}"
    );

    // The CLI: a process that dies after epoch 1's checkpoint, then `--resume`.
    let dir = std::env::temp_dir().join(format!("webtune-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (data, valid) = (dir.join("tiny-sentiment.csv"), dir.join("tiny-valid.csv"));
    std::fs::write(&data, &csv).unwrap();
    std::fs::write(&valid, TINY_VALID).unwrap();
    let checkpoints = dir.join("checkpoints");
    let cli = |resume: bool, crash: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_webtune"));
        c.args(["train", "--quiet", "--backend", "cpu", "--model"])
            .arg(common::model_dir())
            .arg("--data")
            .arg(&data)
            .arg("--valid")
            .arg(&valid)
            .args(["--strategy", "last1", "--epochs", "3", "--batch", "8"])
            .args(["--seed", "7", "--out"])
            .arg(dir.join("out"))
            .arg("--checkpoint-dir")
            .arg(&checkpoints);
        if resume {
            c.arg("--resume");
        }
        if crash {
            c.env("WEBTUNE_TEST_CRASH_AFTER_CHECKPOINT", "1");
        }
        c.output().expect("the CLI runs")
    };
    let crashed = cli(false, true);
    assert!(!crashed.status.success(), "the hook aborts the process");
    let file = checkpoints.join("checkpoint.safetensors");
    assert!(file.exists(), "the checkpoint outlives the process");
    assert!(!dir.join("out").exists(), "no model was written");
    let resumed = cli(true, false);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(
        stderr.contains("resuming after epoch 1 (step 3)"),
        "{stderr}"
    );
    assert!(!file.exists(), "a finished run's checkpoint is deleted");
    for (name, bytes) in model_files(&whole) {
        let written = std::fs::read(dir.join("out").join(&name)).unwrap_or_default();
        assert!(
            written == bytes,
            "{name}: the CLI's resumed run differs from the uninterrupted run"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
