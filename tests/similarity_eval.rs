//! `webtune eval` on a sentence-embedding model and a pair file (STS-B, `../shared/data/stsb`):
//! the Spearman correlation of cosine similarity with the scores for scored pairs, retrieval
//! metrics for pairs, and a line-numbered error for a bad file. The full dev set matches
//! sentence-transformers (`scripts/similarity_reference.py`) to 1e-9; here a slice keeps it fast.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::process::Command;

use serde_json::Value;

fn eval(data: &std::path::Path) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_webtune"))
        .args(["eval", "--backend", "cpu", "--model"])
        .arg(common::model_dir())
        .arg("--data")
        .arg(data)
        .output()
        .expect("the CLI runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        json,
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn scored_pairs_and_retrieval_pairs_are_scored_and_bad_files_named_by_line() {
    let dir = std::env::temp_dir().join(format!("webtune-similarity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dev = std::fs::read_to_string(common::shared_dir().join("data/stsb/dev.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(dev.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().take(300).map(Result::unwrap).collect();

    let mut scored = csv::Writer::from_path(dir.join("scored.csv")).unwrap();
    scored
        .write_record(["sentence1", "sentence2", "score"])
        .unwrap();
    let mut pairs = csv::Writer::from_path(dir.join("pairs.csv")).unwrap();
    pairs.write_record(["anchor", "positive"]).unwrap();
    for r in &rows {
        scored.write_record(r).unwrap();
        if r[2].parse::<f64>().unwrap() >= 4.0 {
            pairs.write_record([&r[0], &r[1]]).unwrap();
        }
    }
    scored.flush().unwrap();
    pairs.flush().unwrap();

    let (ok, m, err) = eval(&dir.join("scored.csv"));
    assert!(ok, "{err}");
    assert_eq!(m["pairs"], 300);
    let s = m["spearman"].as_f64().unwrap();
    // all-MiniLM-L6-v2 on the whole dev set: 0.8672 (sentence-transformers: the same); shuffled
    // or unpaired embeddings give about 0.
    assert!(s > 0.8 && s < 0.95, "spearman {s}");

    let (ok, m, err) = eval(&dir.join("pairs.csv"));
    assert!(ok, "{err}");
    let (r1, r10, mrr) = (
        m["recall_at_1"].as_f64().unwrap(),
        m["recall_at_10"].as_f64().unwrap(),
        m["mrr_at_10"].as_f64().unwrap(),
    );
    assert!(
        r1 > 0.8 && r1 <= r10 && r10 <= 1.0 && mrr >= r1 && mrr <= r10,
        "{m}"
    );

    std::fs::write(
        dir.join("bad.csv"),
        "sentence1,sentence2,score\na,b,1\na,b,high\n",
    )
    .unwrap();
    let (ok, _, err) = eval(&dir.join("bad.csv"));
    assert!(!ok);
    assert!(
        err.contains("bad.csv") && err.contains("line 3: score \"high\""),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
