//! The forward pass matches PyTorch: token ids identical, hidden states and mean-pooled
//! embeddings within 1e-4 on the CPU backend, for all ten reference sentences (accents, CJK,
//! emoji, the empty string, a text truncated at 128 tokens).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use burn::prelude::*;
use common::*;
use webtune::engine::{BatchLimits, read_f32};
use webtune::tokenize::Encoded;

#[test]
fn token_ids_match_python_for_every_case() {
    let engine = cpu_engine();
    for case in golden().cases {
        let enc = engine.tokenizer.encode(&case.text).unwrap();
        assert_eq!(enc.input_ids, case.input_ids, "ids for {:?}", case.text);
        assert_eq!(
            enc.token_type_ids, case.token_type_ids,
            "type ids for {:?}",
            case.text
        );
        assert_eq!(enc.len(), case.num_tokens);
    }
}

/// Sentence pairs: the golden sentences paired in every order (the empty one and the 200-word one
/// included), at 128 tokens and at 24 and 12 where `longest_first` truncation shares the budget,
/// against the Python tokenizer (`scripts/pair_tokens_reference.py` writes the reference).
#[test]
fn pair_token_ids_match_python_in_every_order() {
    #[derive(serde::Deserialize)]
    struct Pair {
        first: usize,
        second: usize,
        max_len: usize,
        input_ids: Vec<u32>,
        token_type_ids: Vec<u32>,
    }
    #[derive(serde::Deserialize)]
    struct Reference {
        texts: Vec<String>,
        pairs: Vec<Pair>,
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pair_tokens.json");
    let reference: Reference = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let golden: Vec<String> = golden().cases.into_iter().map(|c| c.text).collect();
    assert_eq!(
        reference.texts,
        golden,
        "{} was written from other sentences",
        path.display()
    );
    let engine = cpu_engine();
    let mut truncated = 0;
    for p in &reference.pairs {
        let tokenizer = engine.tokenizer.with_max_len(p.max_len).unwrap();
        let (a, b) = (&reference.texts[p.first], &reference.texts[p.second]);
        let enc = tokenizer.encode_pair(a, b).unwrap();
        assert_eq!(
            enc.input_ids, p.input_ids,
            "ids of ({}, {}) at {}",
            p.first, p.second, p.max_len
        );
        assert_eq!(
            enc.token_type_ids, p.token_type_ids,
            "type ids of ({}, {}) at {}",
            p.first, p.second, p.max_len
        );
        truncated += usize::from(enc.len() == p.max_len);
    }
    assert_eq!(reference.pairs.len(), 300);
    assert!(
        truncated > 100,
        "only {truncated} pairs reach their limit: truncation is barely tested"
    );
}

#[test]
fn mean_pooled_embeddings_match_pytorch_within_1e4() {
    let engine = cpu_engine();
    let golden = golden();
    let texts: Vec<&str> = golden.cases.iter().map(|c| c.text.as_str()).collect();
    // Batched with padding (mixed lengths in a batch), so masking is exercised too.
    let limits = BatchLimits {
        max_batch: 4,
        max_tokens: 100_000,
    };
    let plain = pollster::block_on(engine.embed(&texts, false, limits)).unwrap();
    let normed = pollster::block_on(engine.embed(&texts, true, limits)).unwrap();
    for (i, case) in golden.cases.iter().enumerate() {
        let d = max_abs_diff(&plain[i], &case.mean_pooled);
        let cos = cosine(&plain[i], &case.mean_pooled);
        assert!(d <= 1e-4, "case {i} {:?}: max abs diff {d}", case.text);
        assert!(cos >= 0.99999, "case {i}: cosine {cos}");
        let dn = max_abs_diff(&normed[i], &case.mean_pooled_normalized);
        assert!(dn <= 1e-4, "case {i} normalized: max abs diff {dn}");
    }
}

#[test]
fn padding_does_not_change_a_text_embedding() {
    // The same short text alone and in a batch with the 128-token text: identical up to float
    // reassociation, which proves padded positions are excluded from attention and pooling.
    let engine = cpu_engine();
    let golden = golden();
    let short = golden.cases[1].text.clone();
    let long = golden.cases[9].text.clone();
    let alone = pollster::block_on(engine.embed(
        std::slice::from_ref(&short),
        false,
        BatchLimits::default(),
    ))
    .unwrap();
    let padded =
        pollster::block_on(engine.embed(&[short, long], false, BatchLimits::default())).unwrap();
    assert!(max_abs_diff(&alone[0], &padded[0]) < 1e-5);
}

#[test]
fn hidden_states_match_pytorch() {
    let engine = cpu_engine();
    let hidden = engine.config.hidden_size;
    for case in golden().cases {
        let enc = Encoded {
            input_ids: case.input_ids.clone(),
            token_type_ids: case.token_type_ids.clone(),
        };
        let input = engine.input(&[&enc]);
        let states: Tensor<3> = engine.encoder.forward(&input);
        let values = pollster::block_on(read_f32(states)).unwrap();
        let last = (case.num_tokens - 1) * hidden;
        let d_cls = max_abs_diff(&values[..16], &case.cls_hidden_first16);
        let d_last = max_abs_diff(&values[last..last + 16], &case.last_token_hidden_first16);
        assert!(
            d_cls <= 1e-4 && d_last <= 1e-4,
            "{:?}: cls {d_cls}, last {d_last}",
            case.text
        );
    }
}
