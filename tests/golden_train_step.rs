//! One training step matches PyTorch: head + encoder layer 5 trainable, the rest frozen, dropout
//! off, cross-entropy over cases 0..3. Loss within 1e-5 relative, head gradients within 1e-4,
//! and for each listed layer-5 tensor the gradient L2 norm within 1e-3 relative and its first
//! eight values within 1e-5. This pins the backward pass everything else relies on.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::TensorData;
use common::*;
use webtune::engine::read_f32;
use webtune::model::loss::cross_entropy;
use webtune::model::{BertConfig, Head, ModelInput, TextClassifier};
use webtune::tokenize::{Encoded, PaddedBatch};
use webtune::weights::load_encoder;
use webtune::weights::reader::transpose;

fn read(t: Tensor<2>) -> Vec<f32> {
    pollster::block_on(read_f32(t)).unwrap()
}
fn read1(t: Tensor<1>) -> Vec<f32> {
    pollster::block_on(read_f32(t)).unwrap()
}

#[test]
fn one_step_of_layer5_plus_head_matches_pytorch() {
    let golden = golden();
    let step = &golden.train_step;
    let files = model_files();
    let device = Device::flex().autodiff();

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
            input_ids: golden.cases[i].input_ids.clone(),
            token_type_ids: golden.cases[i].token_type_ids.clone(),
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

    let logits_v = read(logits.inner());
    assert!(
        max_abs_diff(&logits_v, &step.logits) <= 1e-4,
        "logits {logits_v:?}"
    );
    let loss_v = read1(loss.inner())[0] as f64;
    let rel = (loss_v - step.loss).abs() / step.loss.abs();
    assert!(
        rel <= 1e-5,
        "loss {loss_v} vs {} (relative {rel})",
        step.loss
    );

    // Head gradients, compared in PyTorch's [out, in] layout.
    let gw = read(
        model
            .head
            .linear
            .weight
            .grad(&grads)
            .expect("head weight grad"),
    );
    let gw = transpose(&gw, h, classes);
    assert!(max_abs_diff(&gw, &step.grad_head_w) <= 1e-4, "head W grad");
    let gb = read1(
        model
            .head
            .linear
            .bias
            .as_ref()
            .unwrap()
            .grad(&grads)
            .expect("head bias grad"),
    );
    assert!(
        max_abs_diff(&gb, &step.grad_head_b) <= 1e-4,
        "head b grad {gb:?}"
    );

    // Frozen layers get no gradient at all.
    assert!(
        model.encoder.layers[0]
            .attention
            .query
            .weight
            .grad(&grads)
            .is_none()
    );
    assert!(model.encoder.embeddings.word.weight.grad(&grads).is_none());

    let layer = &model.encoder.layers[last];
    let linear_w = |l: &Linear| {
        l.weight.grad(&grads).map(|g| {
            let [i, o] = g.dims();
            transpose(&read(g), i, o) // burn [in, out] -> PyTorch [out, in]
        })
    };
    let vec1 = |p: &Param<Tensor<1>>| p.grad(&grads).map(read1);
    let checked = [
        (
            "attention.self.query.weight",
            linear_w(&layer.attention.query),
        ),
        (
            "attention.self.value.bias",
            vec1(layer.attention.value.bias.as_ref().unwrap()),
        ),
        (
            "attention.output.dense.weight",
            linear_w(&layer.attention.output),
        ),
        (
            "attention.output.LayerNorm.weight",
            vec1(&layer.attention.norm.gamma),
        ),
        (
            "intermediate.dense.weight",
            linear_w(&layer.ffn.intermediate),
        ),
        (
            "output.dense.bias",
            vec1(layer.ffn.output.bias.as_ref().unwrap()),
        ),
        (
            "output.LayerNorm.bias",
            vec1(layer.ffn.norm.beta.as_ref().unwrap()),
        ),
    ];
    assert_eq!(
        checked.len(),
        step.grad_layer5.len(),
        "every reference tensor is checked"
    );
    for (name, grad) in checked {
        let reference = &step.grad_layer5[name];
        let grad = grad.unwrap_or_else(|| panic!("{name}: no gradient"));
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
