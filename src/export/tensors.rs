//! Model parameters → safetensors bytes, read asynchronously (burn-store's saver reads
//! synchronously, which panics in a browser). Names and layouts are Hugging Face's, from the
//! same table the loader uses, so a round trip is exact.

use std::collections::BTreeMap;

use burn::nn::{LayerNorm, Linear};
use burn::prelude::*;
use safetensors::tensor::{Dtype, TensorView};

use crate::engine::read_f32;
use crate::model::BertEncoder;
use crate::model::layer::EncoderLayer;
use crate::weights::names;
use crate::weights::reader::transpose;
use crate::{Error, Result};

/// Host copies of tensors, by name: `(shape, values)`.
pub type HostTensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

async fn vector(out: &mut HostTensors, name: String, t: Tensor<1>) -> Result<()> {
    let n = t.dims()[0];
    out.insert(name, (vec![n], read_f32(t).await?));
    Ok(())
}

async fn matrix(out: &mut HostTensors, name: String, t: Tensor<2>) -> Result<()> {
    let [r, c] = t.dims();
    out.insert(name, (vec![r, c], read_f32(t).await?));
    Ok(())
}

/// A burn `Linear` (`[in, out]`) as HF's `weight` `[out, in]` and `bias`.
pub async fn linear(out: &mut HostTensors, prefix: &str, l: &Linear) -> Result<()> {
    let (w, b) = names::linear(prefix);
    let weight = l.weight.val();
    let [d_in, d_out] = weight.dims();
    let values = read_f32(weight).await?;
    out.insert(w, (vec![d_out, d_in], transpose(&values, d_in, d_out)));
    if let Some(bias) = &l.bias {
        vector(out, b, bias.val()).await?;
    }
    Ok(())
}

async fn layer_norm(out: &mut HostTensors, prefix: &str, n: &LayerNorm) -> Result<()> {
    vector(out, format!("{prefix}.weight"), n.gamma.val()).await?;
    if let Some(beta) = &n.beta {
        vector(out, format!("{prefix}.bias"), beta.val()).await?;
    }
    Ok(())
}

/// A layer's Linear sub-modules with their Hugging Face paths (relative to the layer).
pub fn layer_linears(l: &EncoderLayer) -> [(&'static str, &Linear); 6] {
    [
        (names::QUERY, &l.attention.query),
        (names::KEY, &l.attention.key),
        (names::VALUE, &l.attention.value),
        (names::ATTENTION_OUTPUT, &l.attention.output),
        (names::INTERMEDIATE, &l.ffn.intermediate),
        (names::OUTPUT, &l.ffn.output),
    ]
}

/// Every encoder tensor under its original Hugging Face name. Reparameterised weights (LoRA)
/// are read as their effective value `base + scale·A·B`, i.e. merged.
pub async fn encoder_tensors(e: &BertEncoder) -> Result<HostTensors> {
    let mut out = HostTensors::new();
    matrix(
        &mut out,
        names::WORD_EMBEDDINGS.into(),
        e.embeddings.word.weight.val(),
    )
    .await?;
    matrix(
        &mut out,
        names::POSITION_EMBEDDINGS.into(),
        e.embeddings.position.weight.val(),
    )
    .await?;
    matrix(
        &mut out,
        names::TOKEN_TYPE_EMBEDDINGS.into(),
        e.embeddings.token_type.weight.val(),
    )
    .await?;
    layer_norm(&mut out, names::EMBEDDINGS_NORM, &e.embeddings.norm).await?;
    for (i, l) in e.layers.iter().enumerate() {
        let p = names::layer(i);
        for (path, lin) in layer_linears(l) {
            linear(&mut out, &format!("{p}.{path}"), lin).await?;
        }
        for (path, norm) in [
            (names::ATTENTION_NORM, &l.attention.norm),
            (names::OUTPUT_NORM, &l.ffn.norm),
        ] {
            layer_norm(&mut out, &format!("{p}.{path}"), norm).await?;
        }
    }
    Ok(out)
}

/// Serialises f32 tensors as a safetensors file.
pub fn to_safetensors(
    tensors: &HostTensors,
    metadata: Option<std::collections::HashMap<String, String>>,
) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, (s, v))| {
            (
                n.clone(),
                s.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(n, s, d)| {
            TensorView::new(Dtype::F32, s.clone(), d)
                .map(|v| (n.clone(), v))
                .map_err(|e| Error::Io(format!("could not serialise tensor {n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, metadata)
        .map_err(|e| Error::Io(format!("could not write safetensors: {e}")))
}
