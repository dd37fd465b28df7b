//! A loaded model (config, tokenizer, encoder on a device) and batched inference with async
//! readback: the part of the engine shared by the CLI, the trainer and the browser facade.

use burn::prelude::*;

use crate::model::{BertConfig, BertEncoder, ModelInput, l2_normalize, mean_pool};
use crate::tokenize::{Encoded, PaddedBatch, TextTokenizer};
use crate::weights::{LoadReport, load_encoder};
use crate::{Error, Result};

/// The three files of a Hugging Face model folder, as bytes.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub config: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub weights: Vec<u8>,
}

impl ModelFiles {
    /// Reads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
        };
        Ok(ModelFiles {
            config: read("config.json")?,
            tokenizer: read("tokenizer.json")?,
            weights: read("model.safetensors")?,
        })
    }
}

/// How inference batches are formed. Texts are sorted by length so a batch pads little.
/// [`BatchLimits::DEFAULT`] is the one setting of every inference pass — embeddings, the
/// frozen-feature cache, prediction, evaluation and validation, in the CLI and the browser, on
/// either backend: `max_tokens` bounds a pass's activations whatever the texts' lengths, which is
/// what the tightest place (a browser tab's wasm memory and its adapter's buffers) needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// At most this many texts per forward pass.
    pub max_batch: usize,
    /// At most this many padded tokens (`batch × longest`) per forward pass, which bounds the
    /// activation memory whatever the text lengths.
    pub max_tokens: usize,
}

impl BatchLimits {
    /// 64 texts and 4,096 padded tokens a pass (about 25 MB of activations per layer for a
    /// 384-wide model).
    pub const DEFAULT: BatchLimits = BatchLimits {
        max_batch: 64,
        max_tokens: 4096,
    };

    /// The default with at most `max_batch` texts a pass (a user's `--batch`).
    pub fn with_max_batch(max_batch: usize) -> Self {
        BatchLimits {
            max_batch: max_batch.max(1),
            ..Self::DEFAULT
        }
    }
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Groups indices of `encoded` into length-sorted batches within `limits`; every index appears
/// exactly once.
pub fn length_sorted_batches(encoded: &[Encoded], limits: BatchLimits) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| (encoded[i].len(), i));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted ascending, so the newest item is the longest in its batch.
        let padded = (current.len() + 1) * encoded[i].len();
        if !current.is_empty()
            && (current.len() >= limits.max_batch.max(1) || padded > limits.max_tokens)
        {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// The one batched-inference loop, shared by the engine's embeddings, the frozen-feature cache,
/// the classifier's logits and the trainer's validation: `encoded` in length-sorted batches within
/// `limits`, `forward` run on each batch's indices (its output's first dimension is the batch),
/// each result read back without blocking, and the first `keep(i)` floats of example `i`'s row
/// kept, in input order. `after` runs after each batch with the number of examples done (progress,
/// a yield to the browser, a deadline).
pub async fn batched_rows<const D: usize>(
    encoded: &[Encoded],
    limits: BatchLimits,
    keep: impl Fn(usize) -> usize,
    mut forward: impl FnMut(&[usize]) -> Tensor<D>,
    mut after: impl AsyncFnMut(usize) -> Result<()>,
) -> Result<Vec<Vec<f32>>> {
    let mut rows = vec![Vec::new(); encoded.len()];
    let mut done = 0;
    for batch in length_sorted_batches(encoded, limits) {
        let values = read_f32(forward(&batch)).await?;
        let stride = values.len() / batch.len();
        for (r, &i) in batch.iter().enumerate() {
            let n = keep(i);
            if n > stride {
                return Err(Error::Backend(format!(
                    "internal: example {i} wants {n} values of a {stride}-value row"
                )));
            }
            rows[i] = values[r * stride..r * stride + n].to_vec();
        }
        done += batch.len();
        after(done).await?;
    }
    Ok(rows)
}

/// A model ready for inference on one device.
#[derive(Debug, Clone)]
pub struct Engine {
    pub config: BertConfig,
    pub tokenizer: TextTokenizer,
    pub encoder: BertEncoder,
    pub device: Device,
    pub report: LoadReport,
    /// The original `config.json` and `tokenizer.json`, written back unchanged on export.
    pub config_json: Vec<u8>,
    pub tokenizer_json: Vec<u8>,
}

impl Engine {
    /// Parses the three files and uploads the weights to `device`.
    pub fn load(files: &ModelFiles, device: &Device, max_len: usize) -> Result<Self> {
        let config = BertConfig::from_json(&files.config)?;
        let tokenizer = TextTokenizer::from_bytes(
            &files.tokenizer,
            max_len.min(config.max_position_embeddings),
        )?;
        tokenizer.check_vocab(config.vocab_size)?;
        let (encoder, report) = load_encoder(&config, &files.weights, device)?;
        Ok(Engine {
            config,
            tokenizer,
            encoder,
            device: device.clone(),
            report,
            config_json: files.config.clone(),
            tokenizer_json: files.tokenizer.clone(),
        })
    }

    /// Uploads one padded batch.
    pub fn input(&self, items: &[&Encoded]) -> ModelInput {
        ModelInput::from_batch(
            &PaddedBatch::pad(items, self.tokenizer.pad_id()),
            &self.device,
        )
    }

    /// Mean-pooled sentence embeddings (L2-normalised with `normalize`), one per text, in input
    /// order.
    pub async fn embed<S: AsRef<str>>(
        &self,
        texts: &[S],
        normalize: bool,
        limits: BatchLimits,
    ) -> Result<Vec<Vec<f32>>> {
        let encoded = self.tokenizer.encode_all(texts)?;
        let dim = self.config.hidden_size;
        let forward = |batch: &[usize]| {
            let items: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
            let input = self.input(&items);
            let pooled = mean_pool(self.encoder.forward(&input), input.mask.clone());
            if normalize {
                l2_normalize(pooled)
            } else {
                pooled
            }
        };
        batched_rows(&encoded, limits, |_| dim, forward, async |_| Ok(())).await
    }
}

/// Reads a float tensor back to the host without blocking (the only kind of read that works in
/// a browser).
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data = tensor.into_data_async().await.map_err(Error::readback)?;
    crate::device_cost::note_download(data.as_bytes().len());
    data.try_to_vec::<f32>().map_err(Error::readback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(len: usize) -> Encoded {
        Encoded {
            input_ids: vec![1; len],
            token_type_ids: vec![0; len],
        }
    }

    #[test]
    fn batches_cover_every_index_once_within_limits() {
        let lens = [5, 40, 3, 128, 7, 7, 90, 2, 64, 12];
        let encoded: Vec<Encoded> = lens.iter().map(|&l| enc(l)).collect();
        let limits = BatchLimits {
            max_batch: 3,
            max_tokens: 200,
        };
        let batches = length_sorted_batches(&encoded, limits);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..lens.len()).collect::<Vec<_>>());
        for b in &batches {
            let longest = b.iter().map(|&i| lens[i]).max().unwrap();
            assert!(b.len() <= 3);
            assert!(b.len() == 1 || b.len() * longest <= 200, "{b:?}");
        }
    }
}
