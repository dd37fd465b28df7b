//! The contrastive modes from the command line, on small slices of real data (CPU backend):
//! `--mode fewshot` (SST-2 sentences, 8 a class) and `--mode embedding` (STS-B scored pairs, and
//! pairs). Each trains, exports in the sentence-transformers layout, loads back through `eval`
//! with the scores training recorded, and refuses bad input with a line-numbered message.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn webtune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_webtune"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    err
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtune-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

fn write(path: &Path, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Runs the CLI on owned arguments.
fn cli(args: &[String]) -> Output {
    webtune(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `&str`s and `String`s as one argument list.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($a.to_string()),*] };
}

#[test]
fn fewshot_trains_on_8_a_class_exports_and_refuses_a_class_of_one() {
    let dir = scratch("fewshot");
    let data = common::shared_dir().join("data/sst2-sentences");
    let train = rows(&data.join("train.csv"));
    let mut sample: Vec<Vec<String>> = Vec::new();
    for label in ["negative", "positive"] {
        sample.extend(
            train
                .iter()
                .filter(|r| &r[1] == label)
                .take(8)
                .map(|r| vec![r[0].to_string(), r[1].to_string()]),
        );
    }
    write(&dir.join("train.csv"), &["text", "label"], &sample);
    let dev: Vec<Vec<String>> = rows(&data.join("dev.csv"))
        .iter()
        .take(120)
        .map(|r| vec![r[0].to_string(), r[1].to_string()])
        .collect();
    write(&dir.join("dev.csv"), &["text", "label"], &dev);
    let out = dir.join("model");
    let model = common::model_dir();
    let log = ok(&cli(&args![
        "train",
        "--mode",
        "fewshot",
        "--model",
        s(&model),
        "--data",
        s(&dir.join("train.csv")),
        "--valid",
        s(&dir.join("dev.csv")),
        "--strategy",
        "last1",
        "--pair-iterations",
        "2",
        "--max-len",
        "32",
        "--seed",
        "1",
        "--quiet",
        "--out",
        s(&out),
    ]));
    assert!(log.contains("few-shot: 64 pairs"), "{log}");
    let metrics = json(&out.join("metrics.json"));
    let record = &metrics["training"];
    assert_eq!(record["config"]["mode"], "fewshot");
    assert_eq!(record["plan"]["totalSteps"], 2, "64 pairs in batches of 32");
    let valid = &record["valid_metrics"];
    // The export is Transformer, Pooling, Normalize, Dense: the logistic regression reads unit
    // vectors, as SetFit's does.
    let modules = std::fs::read_to_string(out.join("modules.json")).unwrap();
    assert!(modules.contains("Normalize") && out.join("3_Dense/model.safetensors").exists());
    // Loaded back, it scores the validation file exactly as training did.
    let evaluated: Value = serde_json::from_slice(
        &cli(&args![
            "eval",
            "--model",
            s(&out),
            "--data",
            s(&dir.join("dev.csv")),
        ])
        .stdout,
    )
    .unwrap();
    // (Training scored through the frozen layers' cache, `eval` runs them: a borderline example
    // may round the other way, never more.)
    let (a, b) = (
        evaluated["accuracy"].as_f64().unwrap(),
        valid["accuracy"].as_f64().unwrap(),
    );
    assert!(
        (a - b).abs() <= 1.0 / 120.0 + 1e-9,
        "{evaluated} vs {valid}"
    );

    // A class of one example: refused, naming the file, the line and the class.
    let mut bad = sample[..8].to_vec();
    bad.push(vec!["A lone neutral line.".into(), "neutral".into()]);
    write(&dir.join("bad.csv"), &["text", "label"], &bad);
    let r = cli(&args![
        "train",
        "--mode",
        "fewshot",
        "--model",
        s(&model),
        "--data",
        s(&dir.join("bad.csv")),
        "--out",
        s(&dir.join("bad")),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert!(
        err.contains("bad.csv")
            && err.contains("line 10")
            && err.contains("class \"neutral\" has only this example"),
        "{err}"
    );
}

#[test]
fn embedding_mode_tunes_on_scored_pairs_and_pairs_and_exports_an_embedding_model() {
    let dir = scratch("embedding");
    let stsb = common::shared_dir().join("data/stsb");
    let to_vec = |r: &csv::StringRecord| r.iter().map(str::to_string).collect::<Vec<_>>();
    let train: Vec<Vec<String>> = rows(&stsb.join("train.csv"))
        .iter()
        .take(64)
        .map(to_vec)
        .collect();
    let dev: Vec<Vec<String>> = rows(&stsb.join("dev.csv"))
        .iter()
        .take(100)
        .map(to_vec)
        .collect();
    write(
        &dir.join("train.csv"),
        &["sentence1", "sentence2", "score"],
        &train,
    );
    write(
        &dir.join("dev.csv"),
        &["sentence1", "sentence2", "score"],
        &dev,
    );
    let model = common::model_dir();
    let out = dir.join("scored");
    let common_args = [
        "--strategy",
        "last1",
        "--epochs",
        "1",
        "--batch",
        "16",
        "--max-len",
        "32",
        "--quiet",
    ];
    let mut args = args![
        "train",
        "--mode",
        "embedding",
        "--model",
        s(&model),
        "--data",
        s(&dir.join("train.csv")),
        "--valid",
        s(&dir.join("dev.csv")),
        "--out",
        s(&out),
    ];
    args.extend(common_args.iter().map(|a| a.to_string()));
    let log = ok(&cli(&args));
    assert!(log.contains("validation before: Spearman"), "{log}");
    let record = json(&out.join("metrics.json"))["training"].clone();
    assert_eq!(record["loss"], "cosent");
    assert_eq!(
        record["config"]["score_range"],
        serde_json::json!([0.0, 5.0])
    );
    let before = record["before"]["spearman"].as_f64().unwrap();
    let after = record["after"]["spearman"].as_f64().unwrap();
    assert!(before > 0.7 && after > 0.7, "{before} {after}");
    // No head; Normalize last; `eval` and `embed` load it as it is.
    let modules = std::fs::read_to_string(out.join("modules.json")).unwrap();
    assert!(
        modules.contains("Normalize") && !modules.contains("Dense"),
        "{modules}"
    );
    assert!(!out.join("2_Dense").exists());
    let evaluated: Value = serde_json::from_slice(
        &cli(&args![
            "eval",
            "--model",
            s(&out),
            "--data",
            s(&dir.join("dev.csv")),
        ])
        .stdout,
    )
    .unwrap();
    let reloaded = evaluated["spearman"].as_f64().unwrap();
    assert!(
        (reloaded - after).abs() < 1e-6,
        "{reloaded} vs {after} (max-len differs?)"
    );

    // Pairs that belong together (the high-scoring rows): MNRL, scored by retrieval.
    let pairs: Vec<Vec<String>> = rows(&stsb.join("train.csv"))
        .iter()
        .filter(|r| r[2].parse::<f64>().unwrap() >= 3.5)
        .take(48)
        .map(|r| vec![r[0].to_string(), r[1].to_string()])
        .collect();
    write(&dir.join("pairs.csv"), &["anchor", "positive"], &pairs);
    let out = dir.join("pairs");
    let mut args = args![
        "train",
        "--mode",
        "embedding",
        "--model",
        s(&model),
        "--data",
        s(&dir.join("pairs.csv")),
        "--valid",
        s(&dir.join("pairs.csv")),
        "--loss",
        "mnrl-symmetric",
        "--no-normalize",
        "--out",
        s(&out),
    ];
    args.extend(common_args.iter().map(|a| a.to_string()));
    ok(&cli(&args));
    let record = json(&out.join("metrics.json"))["training"].clone();
    assert_eq!(record["loss"], "mnrl-symmetric");
    assert!(
        record["after"]["mrr_at_10"].as_f64().unwrap() > 0.5,
        "{record}"
    );
    let modules = std::fs::read_to_string(out.join("modules.json")).unwrap();
    assert!(!modules.contains("Normalize"), "--no-normalize: {modules}");

    // Bad input, each named by file and line.
    let bad = |name: &str, header: &[&str], rows: Vec<Vec<String>>, extra: &[&str]| -> String {
        write(&dir.join(name), header, &rows);
        let mut args = args![
            "train",
            "--mode",
            "embedding",
            "--model",
            s(&model),
            "--data",
            s(&dir.join(name)),
            "--out",
            s(&dir.join("bad")),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let r = cli(&args);
        assert!(!r.status.success(), "{name} was accepted");
        String::from_utf8_lossy(&r.stderr).to_string()
    };
    let row = |a: &str, b: &str, c: &str| vec![a.to_string(), b.to_string(), c.to_string()];
    let e = bad(
        "empty.csv",
        &["anchor", "positive", "negative"],
        vec![row("q", "d", "n"), row("q2", "", "n2")],
        &[],
    );
    assert!(
        e.contains("empty.csv") && e.contains("line 3: empty text (column \"positive\")"),
        "{e}"
    );
    let e = bad(
        "range.csv",
        &["sentence1", "sentence2", "score"],
        vec![row("a", "b", "0.5"), row("c", "d", "1.5")],
        &["--score-range", "0,1"],
    );
    assert!(
        e.contains("range.csv")
            && e.contains("line 3: score 1.5 is outside the declared range [0, 1]"),
        "{e}"
    );
    let e = bad(
        "undeclared.csv",
        &["sentence1", "sentence2", "score"],
        vec![row("a", "b", "7")],
        &[],
    );
    assert!(
        e.contains("line 2") && e.contains("declare the scores' range"),
        "{e}"
    );
    let e = bad(
        "scored.csv",
        &["sentence1", "sentence2", "score"],
        vec![row("a", "b", "1")],
        &["--loss", "mnrl"],
    );
    assert!(e.contains("cosent or cosine"), "{e}");
}
