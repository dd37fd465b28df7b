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

/// A model folder whose config.json declares absurd sizes ends in a message and exit status 1,
/// not an abort on a failed allocation (exit 134; in a browser, a dead wasm module).
#[test]
fn absurd_config_sizes_are_a_clear_error_not_an_abort() {
    let model = model_dir();
    let config = std::fs::read_to_string(model.join("config.json")).unwrap();
    for (field, absurd) in [
        ("\"num_hidden_layers\": 6", "\"num_hidden_layers\": 1000000"),
        ("\"hidden_size\": 384", "\"hidden_size\": 12000000"),
        (
            "\"intermediate_size\": 1536",
            "\"intermediate_size\": 10000000000",
        ),
    ] {
        let broken = config.replace(field, absurd);
        assert_ne!(broken, config, "{field} is not in config.json");
        let dir = std::env::temp_dir().join(format!(
            "webtune-absurd-{}-{}",
            std::process::id(),
            absurd.split('"').nth(1).unwrap()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&model).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "config.json" {
                std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
            }
        }
        std::fs::write(dir.join("config.json"), broken).unwrap();
        let out = run_embed(
            &["--model", dir.to_str().unwrap(), "--backend", "cpu"],
            "hello\n",
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{absurd}: {err}");
        assert!(
            err.contains("they do not belong together"),
            "{absurd}: {err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A model whose word embeddings (here 40,000,000 × 384 floats, 57 GiB) do not fit one buffer
/// binding of the wgpu adapter (lavapipe here) is refused before a byte of it is read, as in the
/// browser: the weights file is empty, so anything but the up-front check would fail otherwise.
/// Needs the native wgpu backend: `./scripts/test native-wgpu`.
#[cfg(feature = "wgpu")]
#[test]
fn a_model_too_large_for_the_gpu_adapter_is_refused_before_loading() {
    let dir = std::env::temp_dir().join(format!("webtune-too-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model_dir().join("config.json")).unwrap()).unwrap();
    config["vocab_size"] = 40_000_000.into();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::copy(
        model_dir().join("tokenizer.json"),
        dir.join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(dir.join("model.safetensors"), b"").unwrap();
    let out = run_embed(
        &["--model", dir.to_str().unwrap(), "--backend", "wgpu"],
        "hello\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("this model does not fit the GPU adapter")
            && stderr.contains("the word embeddings take 58594 MiB"),
        "{stderr}"
    );
}
