//! Reads tensors out of safetensors bytes into host `f32` vectors, checking names and shapes and
//! collecting *every* problem, so a wrong file is explained in one error rather than one
//! mismatch at a time.

use std::collections::BTreeSet;

use safetensors::{Dtype, SafeTensors};

use crate::{Error, Result};

/// A parsed safetensors file plus the bookkeeping needed to report missing, mis-shaped and
/// unexpected tensors.
pub struct TensorReader<'a> {
    file: SafeTensors<'a>,
    /// Prepended to every requested name (`"bert."` for `BertFor*` checkpoints).
    prefix: String,
    used: BTreeSet<String>,
    problems: Vec<String>,
    /// Which file the errors talk about (`model.safetensors`, `2_Dense/model.safetensors`).
    file_name: String,
}

impl<'a> TensorReader<'a> {
    /// Parses the header. `probe` is a tensor that must exist; if it only exists under
    /// `alt_prefix`, that prefix is used for every lookup.
    pub fn new(bytes: &'a [u8], file_name: &str, probe: &str, alt_prefix: &str) -> Result<Self> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| {
            Error::Weights(format!("{file_name} is not a valid safetensors file: {e}"))
        })?;
        let names: BTreeSet<&str> = file.names().into_iter().collect();
        let prefix =
            if !names.contains(probe) && names.contains(format!("{alt_prefix}{probe}").as_str()) {
                alt_prefix.to_string()
            } else {
                String::new()
            };
        Ok(TensorReader {
            file,
            prefix,
            used: BTreeSet::new(),
            problems: Vec::new(),
            file_name: file_name.to_string(),
        })
    }

    /// Refuses a model that wants far more values than the file holds, before anything is
    /// allocated: the sizes come from `config.json`, and a config that declares a hidden size
    /// of millions or a million layers must end in this message, not in a failed allocation
    /// (which aborts the process, and in a browser kills the wasm module). Up to twice the
    /// file's values (and a million more) the tensors are read and each missing or misshaped
    /// one is named, as a file short of a few tensors deserves; what loading then allocates
    /// stays within that bound.
    pub fn require_values(&self, wanted: u128, what: impl FnOnce() -> String) -> Result<()> {
        const SLACK: u128 = 1 << 20;
        // Only the tensors `read` accepts: an F4 or U8 file holds more values than bytes.
        let held: u128 = self
            .file
            .tensors()
            .iter()
            .filter(|(_, view)| matches!(view.dtype(), Dtype::F32 | Dtype::F16 | Dtype::BF16))
            .map(|(_, view)| view.shape().iter().map(|&d| d as u128).product::<u128>())
            .sum();
        if wanted > 2 * held + SLACK {
            return Err(Error::Weights(format!(
                "{} needs {wanted} weights but {} holds {held}: they do not belong together",
                what(),
                self.file_name
            )));
        }
        Ok(())
    }

    /// The prefix in use (`""` or e.g. `"bert."`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Reads `name` (first of `names` that exists) as `f32`, requiring `shape`. On a problem,
    /// records it and returns zeros so loading can go on and report everything at once.
    pub fn read(&mut self, names: &[&str], shape: &[usize]) -> Vec<f32> {
        let n: usize = shape.iter().product();
        let found = names.iter().find_map(|name| {
            let full = format!("{}{}", self.prefix, name);
            self.file.tensor(&full).ok().map(|view| (full, view))
        });
        let Some((full, view)) = found else {
            let alternatives = if names.len() > 1 {
                format!(
                    " (or {})",
                    names[1..]
                        .iter()
                        .map(|n| format!("'{}{n}'", self.prefix))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            self.problems.push(format!(
                "missing tensor '{}{}'{alternatives}, expected shape {shape:?}",
                self.prefix, names[0]
            ));
            return vec![0.0; n];
        };
        self.used.insert(full.clone());
        if view.shape() != shape {
            self.problems.push(format!(
                "tensor '{full}' has shape {:?}, expected {shape:?}",
                view.shape()
            ));
            return vec![0.0; n];
        }
        match to_f32(view.dtype(), view.data()) {
            Ok(values) => values,
            Err(dtype) => {
                self.problems.push(format!(
                    "tensor '{full}' has dtype {dtype}, expected F32, F16 or BF16"
                ));
                vec![0.0; n]
            }
        }
    }

    /// Reads a float tensor that may be absent, without counting it as used (it stays in the
    /// skipped list): for tensors the model does not use but an export should keep.
    pub fn read_passthrough(&self, name: &str) -> Option<(Vec<usize>, Vec<f32>)> {
        let view = self.file.tensor(&format!("{}{}", self.prefix, name)).ok()?;
        let values = to_f32(view.dtype(), view.data()).ok()?;
        Some((view.shape().to_vec(), values))
    }

    /// Ends reading: every tensor not read must be one `allowed_unused` accepts. Returns the
    /// skipped names, or one error listing every problem found.
    pub fn finish(mut self, allowed_unused: impl Fn(&str) -> bool) -> Result<Vec<String>> {
        let mut skipped = Vec::new();
        let mut names: Vec<String> = self.file.names().into_iter().map(String::from).collect();
        names.sort();
        for name in names {
            if self.used.contains(&name) {
                continue;
            }
            if allowed_unused(&name) {
                skipped.push(name);
            } else {
                let shape = self
                    .file
                    .tensor(&name)
                    .map(|v| v.shape().to_vec())
                    .unwrap_or_default();
                self.problems.push(format!(
                    "unexpected tensor '{name}' with shape {shape:?}: it matches no parameter of the configured model"
                ));
            }
        }
        if self.problems.is_empty() {
            return Ok(skipped);
        }
        const SHOWN: usize = 12;
        let total = self.problems.len();
        let mut message = format!(
            "{} does not match config.json ({total} problem{}): ",
            self.file_name,
            if total == 1 { "" } else { "s" }
        );
        message.push_str(&self.problems[..total.min(SHOWN)].join("; "));
        if total > SHOWN {
            message.push_str(&format!("; and {} more", total - SHOWN));
        }
        Err(Error::Weights(message))
    }
}

/// Decodes little-endian tensor bytes to `f32`; returns the dtype's name if it is not a float.
fn to_f32(dtype: Dtype, bytes: &[u8]) -> std::result::Result<Vec<f32>, String> {
    Ok(match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => return Err(format!("{other:?}")),
    })
}

/// Transposes a row-major `[rows, cols]` matrix: HF stores Linear weights as `[out, in]`, burn's
/// `Linear` multiplies by `[in, out]`.
pub fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes() {
        // [[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]]
        assert_eq!(
            transpose(&[1., 2., 3., 4., 5., 6.], 2, 3),
            vec![1., 4., 2., 5., 3., 6.]
        );
    }

    #[test]
    fn decodes_half_precision() {
        let one = half::f16::from_f32(1.5).to_le_bytes();
        assert_eq!(to_f32(Dtype::F16, &one).unwrap(), vec![1.5]);
        let bf = half::bf16::from_f32(-2.0).to_le_bytes();
        assert_eq!(to_f32(Dtype::BF16, &bf).unwrap(), vec![-2.0]);
        assert_eq!(to_f32(Dtype::I64, &[0; 8]).unwrap_err(), "I64");
    }
}
