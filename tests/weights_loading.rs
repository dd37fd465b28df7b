//! The safetensors loader on small synthetic BERT checkpoints: f32/f16/bf16, with and without
//! the `bert.` prefix, and every kind of mismatch reported by tensor name and shape.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use burn::prelude::*;
use safetensors::tensor::{Dtype, TensorView};
use webtune::engine::read_f32;
use webtune::model::{BertConfig, ModelInput};
use webtune::tokenize::{Encoded, PaddedBatch};
use webtune::weights::load_encoder;

const TINY: &str = r#"{"model_type":"bert","vocab_size":20,"hidden_size":8,"num_hidden_layers":2,
  "num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":16,"type_vocab_size":2,
  "layer_norm_eps":1e-12,"hidden_act":"gelu"}"#;

/// Every tensor of the tiny model in HF naming and layout, filled with a deterministic pattern.
fn tiny_tensors() -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let mut m = BTreeMap::new();
    let mut seed = 1u32;
    let mut add = |name: String, shape: Vec<usize>| {
        let n: usize = shape.iter().product();
        let v = (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.2
            })
            .collect();
        m.insert(name, (shape, v));
    };
    add("embeddings.word_embeddings.weight".into(), vec![20, 8]);
    add("embeddings.position_embeddings.weight".into(), vec![16, 8]);
    add("embeddings.token_type_embeddings.weight".into(), vec![2, 8]);
    add("embeddings.LayerNorm.weight".into(), vec![8]);
    add("embeddings.LayerNorm.bias".into(), vec![8]);
    for i in 0..2 {
        let p = format!("encoder.layer.{i}");
        for (sub, o, inp) in [
            ("attention.self.query", 8, 8),
            ("attention.self.key", 8, 8),
            ("attention.self.value", 8, 8),
            ("attention.output.dense", 8, 8),
            ("intermediate.dense", 16, 8),
            ("output.dense", 8, 16),
        ] {
            add(format!("{p}.{sub}.weight"), vec![o, inp]);
            add(format!("{p}.{sub}.bias"), vec![o]);
        }
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
            add(format!("{p}.{ln}.weight"), vec![8]);
            add(format!("{p}.{ln}.bias"), vec![8]);
        }
    }
    m
}

fn serialize(
    tensors: &BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    dtype: Dtype,
    prefix: &str,
) -> Vec<u8> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, (shape, v))| {
            let data: Vec<u8> = match dtype {
                Dtype::F32 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Dtype::F16 => v
                    .iter()
                    .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
                    .collect(),
                Dtype::BF16 => v
                    .iter()
                    .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes())
                    .collect(),
                _ => unreachable!(),
            };
            (format!("{prefix}{name}"), shape.clone(), data)
        })
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, s, d)| (n.clone(), TensorView::new(dtype, s.clone(), d).unwrap()))
        .collect();
    safetensors::serialize(views, None).unwrap()
}

fn embed(bytes: &[u8]) -> Result<Vec<f32>, String> {
    let device = Device::flex();
    let config = BertConfig::from_json(TINY.as_bytes()).unwrap();
    let (encoder, _) = load_encoder(&config, bytes, &device).map_err(|e| e.to_string())?;
    let enc = Encoded {
        input_ids: vec![1, 5, 7, 2],
        token_type_ids: vec![0; 4],
    };
    let input = ModelInput::from_batch(&PaddedBatch::pad(&[&enc], 0), &device);
    Ok(pollster::block_on(read_f32(encoder.forward(&input))).unwrap())
}

fn load_err(bytes: &[u8]) -> String {
    embed(bytes).expect_err("loading should fail")
}

#[test]
fn half_precision_and_prefixed_checkpoints_load_to_the_same_model() {
    let t = tiny_tensors();
    let f32_out = embed(&serialize(&t, Dtype::F32, "")).unwrap();
    let prefixed = embed(&serialize(&t, Dtype::F32, "bert.")).unwrap();
    assert_eq!(f32_out, prefixed);
    for dtype in [Dtype::F16, Dtype::BF16] {
        let out = embed(&serialize(&t, dtype, "")).unwrap();
        let d = f32_out
            .iter()
            .zip(&out)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        // Rounding the weights to 8-11 mantissa bits moves LayerNormed outputs by a few 1e-2.
        assert!(d < 0.1, "{dtype:?}: max diff {d}");
        assert!(d > 0.0, "{dtype:?} weights were really rounded");
    }
}

#[test]
fn known_unused_tensors_are_skipped_and_reported() {
    let mut t = tiny_tensors();
    t.insert("pooler.dense.weight".into(), (vec![8, 8], vec![0.0; 64]));
    t.insert("pooler.dense.bias".into(), (vec![8], vec![0.0; 8]));
    let bytes = serialize(&t, Dtype::F32, "");
    let config = BertConfig::from_json(TINY.as_bytes()).unwrap();
    let (_, report) = load_encoder(&config, &bytes, &Device::flex()).unwrap();
    assert_eq!(
        report.skipped,
        vec!["pooler.dense.bias", "pooler.dense.weight"]
    );
}

#[test]
fn a_missing_tensor_is_named_with_its_shape() {
    let mut t = tiny_tensors();
    t.remove("encoder.layer.1.attention.self.key.weight");
    let err = load_err(&serialize(&t, Dtype::F32, ""));
    assert!(err.starts_with("model.safetensors: "), "{err}");
    assert!(
        err.contains(
            "missing tensor 'encoder.layer.1.attention.self.key.weight', expected shape [8, 8]"
        ),
        "{err}"
    );
}

#[test]
fn a_misshaped_tensor_is_named_with_both_shapes() {
    let mut t = tiny_tensors();
    t.insert(
        "encoder.layer.0.intermediate.dense.weight".into(),
        (vec![8, 16], vec![0.0; 128]),
    );
    let err = load_err(&serialize(&t, Dtype::F32, ""));
    assert!(
        err.contains(
            "tensor 'encoder.layer.0.intermediate.dense.weight' has shape [8, 16], expected [16, 8]"
        ),
        "{err}"
    );
}

#[test]
fn an_unexpected_tensor_is_an_error_not_ignored() {
    let mut t = tiny_tensors();
    // A third layer the config does not have.
    t.insert(
        "encoder.layer.2.output.dense.bias".into(),
        (vec![8], vec![0.0; 8]),
    );
    let err = load_err(&serialize(&t, Dtype::F32, ""));
    assert!(
        err.contains("unexpected tensor 'encoder.layer.2.output.dense.bias' with shape [8]"),
        "{err}"
    );
}

#[test]
fn all_problems_are_reported_together() {
    let mut t = tiny_tensors();
    t.remove("embeddings.LayerNorm.bias");
    t.insert(
        "embeddings.word_embeddings.weight".into(),
        (vec![21, 8], vec![0.0; 168]),
    );
    t.insert("extra.weight".into(), (vec![1], vec![0.0]));
    let err = load_err(&serialize(&t, Dtype::F32, ""));
    assert!(err.contains("(3 problems)"), "{err}");
    assert!(
        err.contains("embeddings.LayerNorm.bias")
            && err.contains("[21, 8]")
            && err.contains("extra.weight"),
        "{err}"
    );
}

#[test]
fn garbage_bytes_are_a_clear_error() {
    let err = load_err(b"definitely not safetensors");
    assert!(
        err.contains("model.safetensors is not a valid safetensors file"),
        "{err}"
    );
}

#[test]
fn the_real_model_loads_with_only_known_extras_skipped() {
    let files = {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("www/models/all-MiniLM-L6-v2");
        webtune::engine::ModelFiles::read_dir(&dir).expect("run ./scripts/fetch-model")
    };
    let config = BertConfig::from_json(&files.config).unwrap();
    let (encoder, report) = load_encoder(&config, &files.weights, &Device::flex()).unwrap();
    assert_eq!(encoder.num_layers(), 6);
    assert_eq!(report.prefix, "");
    assert_eq!(
        report.skipped,
        vec![
            "embeddings.position_ids",
            "pooler.dense.bias",
            "pooler.dense.weight"
        ]
    );
}

fn load_with_config(config: &str, bytes: &[u8]) -> String {
    let config = BertConfig::from_json(config.as_bytes()).expect("a config that parses");
    match load_encoder(&config, bytes, &Device::flex()) {
        Ok(_) => panic!("loading should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_parameter_count_is_what_the_file_holds() {
    let held: usize = tiny_tensors()
        .values()
        .map(|(s, _)| s.iter().product::<usize>())
        .sum();
    let config = BertConfig::from_json(TINY.as_bytes()).unwrap();
    assert_eq!(config.parameter_count(), held as u128);
}

/// Configs that declare absurd sizes end in a message before anything is allocated (they used
/// to abort the process on a failed allocation of terabytes, and kill the wasm module).
#[test]
fn absurd_config_sizes_are_refused_before_allocating() {
    let weights = serialize(&tiny_tensors(), Dtype::F32, "");
    for (field, value) in [
        ("\"num_hidden_layers\":2", "\"num_hidden_layers\":1000000"),
        ("\"hidden_size\":8", "\"hidden_size\":12000000"),
        (
            "\"intermediate_size\":16",
            "\"intermediate_size\":10000000000",
        ),
        ("\"vocab_size\":20", "\"vocab_size\":4000000000"),
        (
            "\"max_position_embeddings\":16",
            "\"max_position_embeddings\":1000000000",
        ),
    ] {
        let config = TINY.replace(field, value);
        assert_ne!(config, TINY, "{field}");
        let err = load_with_config(&config, &weights);
        assert!(
            err.starts_with("model.safetensors: config.json's encoder (")
                && err.contains("but model.safetensors holds 1520: they do not belong together"),
            "{value}: {err}"
        );
    }
}

/// A safetensors header is a length then JSON: hostile ones declare more than the file holds.
#[test]
fn hostile_safetensors_headers_are_clear_errors() {
    let with_header = |json: &str, body: usize| {
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend(json.as_bytes());
        b.extend(vec![0u8; body]);
        b
    };
    let good = serialize(&tiny_tensors(), Dtype::F32, "");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            with_header(
                r#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]}}"#,
                16,
            ),
            "not a valid safetensors file",
        ),
        (
            with_header(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                12,
            ),
            "not a valid safetensors file",
        ),
        (
            with_header(
                r#"{"a":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#,
                16,
            ),
            "not a valid safetensors file",
        ),
        (
            good[..good.len() - 100].to_vec(),
            "not a valid safetensors file",
        ),
        (
            {
                let mut b = u64::MAX.to_le_bytes().to_vec();
                b.extend(b"{}");
                b
            },
            "not a valid safetensors file",
        ),
        (with_header("{\"a\":", 0), "not a valid safetensors file"),
    ];
    for (i, (bytes, expected)) in cases.iter().enumerate() {
        let err = load_err(bytes);
        assert!(
            err.starts_with("model.safetensors: ") && err.contains(expected),
            "case {i}: {err}"
        );
    }
}

#[test]
fn a_tokenizer_json_that_is_not_one_is_named() {
    for bytes in [
        &b"{}"[..],
        b"not json",
        b"{\"model\": {\"type\": \"WordPiece\"}}",
        b"",
    ] {
        let err = webtune::tokenize::TextTokenizer::from_bytes(bytes, 128)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("tokenizer.json: could not load"), "{err}");
    }
}
