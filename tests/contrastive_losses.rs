//! The contrastive losses match sentence-transformers on one batch: the loss and its gradient
//! with respect to every embedding, for MultipleNegativesRankingLoss (with and without hard
//! negatives), its symmetric form, CoSENT and CosineSimilarityLoss. The values come from
//! sentence-transformers' own loss classes (`scripts/contrastive_reference.py` writes
//! `tests/fixtures/contrastive_reference.json`).
#![cfg(not(target_arch = "wasm32"))]

use burn::prelude::*;
use burn::tensor::TensorData;
use serde::Deserialize;
use webtune::model::contrastive_loss::{cosent_loss, cosine_similarity_loss, mnrl_loss};

#[derive(Deserialize)]
struct Case {
    loss: f64,
    grads: Vec<Vec<Vec<f64>>>,
}

#[derive(Deserialize)]
struct Reference {
    anchors: Vec<Vec<f64>>,
    positives: Vec<Vec<f64>>,
    negatives: Vec<Vec<f64>>,
    scores: Vec<f32>,
    targets: Vec<f32>,
    mnrl: Case,
    mnrl_negatives: Case,
    mnrl_symmetric: Case,
    cosent: Case,
    cosine: Case,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/contrastive_reference.json"
    );
    serde_json::from_slice(&std::fs::read(path).expect("the reference file")).expect("valid JSON")
}

fn tensor(rows: &[Vec<f64>], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
    Tensor::<2>::from_data(TensorData::new(flat, [rows.len(), rows[0].len()]), device)
        .require_grad()
}

/// Runs `loss` on the reference's `inputs` (autodiff on the CPU backend) and compares the value
/// (1e-5 relative) and every input's gradient (1e-5 absolute) with `case`.
fn check(
    name: &str,
    inputs: &[&Vec<Vec<f64>>],
    case: &Case,
    loss: impl Fn(Vec<Tensor<2>>) -> Tensor<1>,
) {
    let device = Device::flex().autodiff();
    let tensors: Vec<Tensor<2>> = inputs.iter().map(|rows| tensor(rows, &device)).collect();
    let value = loss(tensors.clone());
    let got = value.clone().into_data().try_to_vec::<f32>().unwrap()[0] as f64;
    assert!(
        (got - case.loss).abs() <= 1e-5 * case.loss.abs().max(1.0),
        "{name}: loss {got} vs {}",
        case.loss
    );
    let grads = value.backward();
    for (i, (t, want)) in tensors.iter().zip(&case.grads).enumerate() {
        let g = t
            .grad(&grads)
            .expect("a gradient")
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let want: Vec<f64> = want.iter().flatten().copied().collect();
        let worst = g
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-5,
            "{name}: input {i}'s gradient differs by {worst}"
        );
    }
}

#[test]
fn the_losses_and_their_gradients_match_sentence_transformers() {
    let r = reference();
    let (a, p, n) = (&r.anchors, &r.positives, &r.negatives);
    check("mnrl", &[a, p], &r.mnrl, |t| {
        mnrl_loss(t[0].clone(), t[1].clone(), 20.0, false)
    });
    check(
        "mnrl with hard negatives",
        &[a, p, n],
        &r.mnrl_negatives,
        |t| {
            mnrl_loss(
                t[0].clone(),
                Tensor::cat(vec![t[1].clone(), t[2].clone()], 0),
                20.0,
                false,
            )
        },
    );
    check("mnrl symmetric", &[a, p], &r.mnrl_symmetric, |t| {
        mnrl_loss(t[0].clone(), t[1].clone(), 20.0, true)
    });
    check("cosent", &[a, p], &r.cosent, |t| {
        cosent_loss(t[0].clone(), t[1].clone(), &r.scores, 20.0)
    });
    check("cosine", &[a, p], &r.cosine, |t| {
        cosine_similarity_loss(t[0].clone(), t[1].clone(), &r.targets)
    });
}
