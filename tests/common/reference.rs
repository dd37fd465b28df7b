//! Comparisons with the PyTorch reference (`../shared/golden/minilm-l6-v2.json`, written by
//! `scripts/golden_reference.py`) that native and browser tests share: numeric helpers and one
//! training step checked on any device. No file system and no blocking here, so `tests/web.rs`
//! includes this file as it is.
#![allow(dead_code)]

use std::collections::BTreeMap;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::TensorData;
use serde::Deserialize;
use webtune::engine::{ModelFiles, read_f32};
use webtune::model::loss::cross_entropy;
use webtune::model::{BertConfig, Head, ModelInput, TextClassifier};
use webtune::tokenize::{Encoded, PaddedBatch};
use webtune::weights::load_encoder;
use webtune::weights::reader::transpose;

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The parts of the reference file one training step needs.
#[derive(Deserialize)]
pub struct StepReference {
    cases: Vec<CaseIds>,
    train_step: GoldenTrainStep,
}

#[derive(Deserialize)]
struct CaseIds {
    input_ids: Vec<u32>,
    token_type_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct GoldenTrainStep {
    case_indices: Vec<usize>,
    labels: Vec<i64>,
    #[serde(rename = "head_W")]
    head_w: Vec<f32>,
    head_b: Vec<f32>,
    logits: Vec<f32>,
    loss: f64,
    #[serde(rename = "grad_head_W")]
    grad_head_w: Vec<f32>,
    grad_head_b: Vec<f32>,
    grad_layer5: BTreeMap<String, GoldenGrad>,
}

#[derive(Deserialize)]
struct GoldenGrad {
    first8: Vec<f32>,
    l2: f64,
    shape: Vec<usize>,
}

impl StepReference {
    pub fn parse(golden_json: &[u8]) -> Self {
        serde_json::from_slice(golden_json).expect("golden file parses")
    }
}

async fn read(t: Tensor<2>) -> Vec<f32> {
    read_f32(t).await.unwrap()
}
async fn read1(t: Tensor<1>) -> Vec<f32> {
    read_f32(t).await.unwrap()
}

/// One step of layer 5 + head, dropout off, cross-entropy over the reference cases, on `device`
/// (plain; made autodiff here). Loss within 1e-5 relative, logits and head gradients within 1e-4,
/// and for each listed layer-5 tensor the gradient L2 norm within 1e-3 relative and its first
/// eight values within 1e-5 — the tolerances of the CPU check, on every device.
pub async fn check_one_train_step(reference: &StepReference, files: &ModelFiles, device: &Device) {
    let step = &reference.train_step;
    let device = device.clone().autodiff();

    let mut config = BertConfig::from_json(&files.config).unwrap();
    config.hidden_dropout_prob = 0.0;
    config.attention_probs_dropout_prob = 0.0;
    let (encoder, _) = load_encoder(&config, &files.weights, &device).unwrap();
    let mut encoder = encoder.no_grad();
    let last = encoder.layers.len() - 1;
    encoder.layers[last] = encoder.layers[last].clone().set_require_grad(true);

    let (h, classes) = (config.hidden_size, step.head_b.len());
    let head = Linear {
        weight: Param::from_data(
            TensorData::new(transpose(&step.head_w, classes, h), [h, classes]),
            &device,
        ),
        bias: Some(Param::from_data(
            TensorData::new(step.head_b.clone(), [classes]),
            &device,
        )),
    };
    let model = TextClassifier {
        encoder,
        head: Head::new(head, false),
    };

    let encoded: Vec<Encoded> = step
        .case_indices
        .iter()
        .map(|&i| Encoded {
            input_ids: reference.cases[i].input_ids.clone(),
            token_type_ids: reference.cases[i].token_type_ids.clone(),
        })
        .collect();
    let refs: Vec<&Encoded> = encoded.iter().collect();
    let input = ModelInput::from_batch(&PaddedBatch::pad(&refs, 0), &device);
    let targets = Tensor::<1, Int>::from_data(
        TensorData::new(step.labels.clone(), [step.labels.len()]),
        &device,
    );

    let logits = model.forward(&input);
    let loss = cross_entropy(logits.clone(), targets, None);
    let grads = loss.backward();

    let logits_v = read(logits.inner()).await;
    assert!(
        max_abs_diff(&logits_v, &step.logits) <= 1e-4,
        "logits {logits_v:?}"
    );
    let loss_v = read1(loss.inner()).await[0] as f64;
    let rel = (loss_v - step.loss).abs() / step.loss.abs();
    assert!(
        rel <= 1e-5,
        "loss {loss_v} vs {} (relative {rel})",
        step.loss
    );

    // Head gradients, compared in PyTorch's [out, in] layout.
    let linear = &model.head.linear;
    let gw = read(linear.weight.grad(&grads).expect("head weight grad")).await;
    let gw = transpose(&gw, h, classes);
    assert!(max_abs_diff(&gw, &step.grad_head_w) <= 1e-4, "head W grad");
    let gb = read1(
        linear
            .bias
            .as_ref()
            .unwrap()
            .grad(&grads)
            .expect("head bias grad"),
    )
    .await;
    assert!(
        max_abs_diff(&gb, &step.grad_head_b) <= 1e-4,
        "head b grad {gb:?}"
    );

    // Frozen layers get no gradient at all.
    let first = &model.encoder.layers[0];
    assert!(first.attention.query.weight.grad(&grads).is_none());
    assert!(model.encoder.embeddings.word.weight.grad(&grads).is_none());

    let layer = &model.encoder.layers[last];
    let bias = |l: &Linear| l.bias.clone().unwrap();
    // burn keeps a linear weight as [in, out]; PyTorch's layout is [out, in].
    let weights = [
        ("attention.self.query.weight", &layer.attention.query),
        ("attention.output.dense.weight", &layer.attention.output),
        ("intermediate.dense.weight", &layer.ffn.intermediate),
    ];
    let vectors = [
        ("attention.self.value.bias", bias(&layer.attention.value)),
        (
            "attention.output.LayerNorm.weight",
            layer.attention.norm.gamma.clone(),
        ),
        ("output.dense.bias", bias(&layer.ffn.output)),
        (
            "output.LayerNorm.bias",
            layer.ffn.norm.beta.clone().unwrap(),
        ),
    ];
    let mut checked: Vec<(&str, Vec<f32>)> = Vec::new();
    for (name, l) in weights {
        let g = l
            .weight
            .grad(&grads)
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let [i, o] = g.dims();
        checked.push((name, transpose(&read(g).await, i, o)));
    }
    for (name, p) in vectors {
        let g = p
            .grad(&grads)
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        checked.push((name, read1(g).await));
    }
    assert_eq!(
        checked.len(),
        step.grad_layer5.len(),
        "every reference tensor is checked"
    );
    for (name, grad) in checked {
        let reference = &step.grad_layer5[name];
        assert_eq!(
            grad.len(),
            reference.shape.iter().product::<usize>(),
            "{name} size"
        );
        let l2 = grad.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        let rel = (l2 - reference.l2).abs() / reference.l2;
        assert!(
            rel <= 1e-3,
            "{name}: L2 {l2} vs {} (relative {rel})",
            reference.l2
        );
        let d = max_abs_diff(&grad[..8], &reference.first8);
        assert!(
            d <= 1e-5,
            "{name}: first8 {:?} vs {:?} (max diff {d})",
            &grad[..8],
            reference.first8
        );
    }
}
