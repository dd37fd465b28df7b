//! A padded batch of token ids on a device.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::device_cost::upload;
use crate::tokenize::PaddedBatch;

/// The three `[batch, seq]` tensors a forward pass needs.
#[derive(Debug, Clone)]
pub struct ModelInput {
    pub input_ids: Tensor<2, Int>,
    pub token_type_ids: Tensor<2, Int>,
    /// 1.0 for real tokens, 0.0 for padding.
    pub mask: Tensor<2>,
}

impl ModelInput {
    /// Uploads a host-side padded batch.
    pub fn from_batch(batch: &PaddedBatch, device: &Device) -> Self {
        let shape = [batch.batch_size, batch.seq_len];
        let ints = |v: &[u32]| {
            let data: Vec<i64> = v.iter().map(|&x| x as i64).collect();
            upload(TensorData::new(data, shape), device)
        };
        let mask: Vec<f32> = batch.attention_mask.iter().map(|&m| m as f32).collect();
        ModelInput {
            input_ids: ints(&batch.input_ids),
            token_type_ids: ints(&batch.token_type_ids),
            mask: upload(TensorData::new(mask, shape), device),
        }
    }
}
