//! `webtune embed` reproduces the PyTorch embeddings from the command line.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn run_embed(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webtune"))
        .arg("embed")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run that fails early (a missing model) exits before reading its input, so the write
    // can meet a closed pipe; the exit status and stderr then say what happened.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

#[test]
fn embed_prints_the_golden_embeddings() {
    let golden = golden();
    // The empty case is an empty line; no reference text contains a newline.
    let input: String = golden
        .cases
        .iter()
        .map(|c| format!("{}\n", c.text))
        .collect();
    let model = model_dir();
    for normalize in [false, true] {
        let mut args = vec!["--model", model.to_str().unwrap(), "--backend", "cpu"];
        if normalize {
            args.push("--normalize");
        }
        let out = run_embed(&args, &input);
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Vec<f32>> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), golden.cases.len());
        for (got, case) in lines.iter().zip(&golden.cases) {
            let want = if normalize {
                &case.mean_pooled_normalized
            } else {
                &case.mean_pooled
            };
            assert!(
                max_abs_diff(got, want) <= 1e-4,
                "{:?} (normalize {normalize})",
                case.text
            );
        }
    }
}

#[test]
fn a_missing_model_folder_is_a_clear_error() {
    let out = run_embed(&["--model", "/nonexistent/model"], "hello\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/model/config.json"), "{err}");
}
