//! Checkpoints: what a run needs to continue after its last finished epoch exactly as if it had
//! never stopped — the trainable weights (and the best epoch's, when they differ), AdamW's
//! moments, the schedule's position, the dropout generator's state and the history — as one
//! safetensors file whose metadata holds the rest as JSON.
//!
//! Parameters are named by their path in the module (`encoder.layers.4.ffn.output.weight`), not
//! by burn's `ParamId`s, which a new process draws afresh. The frozen weights are not saved: a
//! resumed run rebuilds them from the same base model, and the frozen-feature cache from them.
//! Which run a checkpoint belongs to (its data files' fingerprints, its settings) is the job's
//! business ([`crate::job`]): the loop only checks that the model and the plan fit.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::engine::read_f32;
use crate::export::tensors::{HostTensors, to_safetensors};
use crate::{Error, Result};

use super::progress::EpochReport;

/// The checkpoint layout this build writes and reads.
pub const FORMAT: u32 = 1;
/// The safetensors metadata key holding [`CheckpointMeta`] as JSON.
const META_KEY: &str = "webtune_checkpoint";
/// Name prefixes of the tensors: the model as it is, the best epoch's model, AdamW's moments.
pub(crate) const MODEL: &str = "model.";
pub(crate) const BEST: &str = "best.";
pub(crate) const FIRST_MOMENT: &str = "adam.m1.";
pub(crate) const SECOND_MOMENT: &str = "adam.m2.";

/// A file's identity without its contents: a resumed run must read the very same data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub name: String,
    pub bytes: u64,
    /// SHA-256 of the bytes, hexadecimal.
    pub sha256: String,
}

impl Fingerprint {
    pub fn of(name: &str, bytes: &[u8]) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        Fingerprint {
            name: name.rsplit(['/', '\\']).next().unwrap_or(name).to_string(),
            bytes: bytes.len() as u64,
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Which run a checkpoint belongs to: the request's settings (as given, before `auto` is
/// resolved), the base model's name and the data files' fingerprints. Never the data itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub settings: serde_json::Value,
    pub base_model: Option<String>,
    pub files: Vec<Fingerprint>,
}

/// The best epoch so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestSoFar {
    /// 1-based.
    pub epoch: usize,
    /// (validation macro-F1, −validation loss), or (epoch, 0) without validation data.
    pub score: (f64, f64),
}

/// Everything but the tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format: u32,
    /// Stamped by the job before the checkpoint is saved.
    pub identity: Option<RunIdentity>,
    /// Epochs finished: the run continues with the next.
    pub epochs_done: usize,
    /// Optimiser steps taken (the schedule's position).
    pub step: usize,
    pub steps_per_epoch: usize,
    pub total_steps: usize,
    pub step_losses: Vec<f64>,
    pub epochs: Vec<EpochReport>,
    pub best: Option<BestSoFar>,
    /// Whether the best model is the current one (then its weights are not stored twice).
    pub best_is_current: bool,
    /// Epochs since the best one (early stopping's count).
    pub since_best: usize,
    /// The host-side dropout generator's state ([`crate::model::dropout::state`]).
    pub dropout_rng: u64,
    /// AdamW's step count of each parameter, by path.
    pub adam_steps: BTreeMap<String, usize>,
    /// Seconds of training so far (for the record; the resumed run adds its own).
    pub train_seconds: f64,
}

/// A checkpoint: its metadata and tensors (`model.*`, `best.*`, `adam.m1.*`, `adam.m2.*`).
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub meta: CheckpointMeta,
    pub tensors: HostTensors,
}

impl Checkpoint {
    /// As a safetensors file.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let meta = serde_json::to_string(&self.meta)
            .map_err(|e| Error::Io(format!("could not write the checkpoint's metadata: {e}")))?;
        to_safetensors(
            &self.tensors,
            Some(HashMap::from([(META_KEY.to_string(), meta)])),
        )
    }

    /// Reads a checkpoint file (`name` is for messages). Untrusted bytes: every size is checked
    /// by the safetensors reader against the file before anything is allocated.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self> {
        let bad =
            |why: String| Error::Invalid(format!("{name} is not a webtune checkpoint: {why}"));
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or_else(|| bad("it has no checkpoint metadata".into()))?;
        let meta: CheckpointMeta =
            serde_json::from_str(json).map_err(|e| bad(format!("its metadata: {e}")))?;
        if meta.format != FORMAT {
            return Err(Error::Invalid(format!(
                "{name} is a checkpoint of format {}, this webtune reads format {FORMAT}: start the run again",
                meta.format
            )));
        }
        let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut tensors = HostTensors::new();
        for (tensor_name, view) in file.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!(
                    "tensor {tensor_name} is {:?}, not F32",
                    view.dtype()
                )));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            tensors.insert(tensor_name, (view.shape().to_vec(), values));
        }
        Ok(Checkpoint { meta, tensors })
    }

    /// The tensors under `prefix`, without it.
    fn under(&self, prefix: &str) -> HostTensors {
        self.tensors
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(prefix).map(|p| (p.to_string(), t.clone())))
            .collect()
    }

    /// The model's trainable weights, by path.
    pub fn model(&self) -> HostTensors {
        self.under(MODEL)
    }

    /// The best epoch's trainable weights, by path (the model's when it is the best).
    pub fn best(&self) -> HostTensors {
        if self.meta.best_is_current {
            self.model()
        } else {
            self.under(BEST)
        }
    }

    /// AdamW's moments by path: (steps, shape, first, second).
    pub fn moments(&self) -> Result<BTreeMap<String, SavedMoments>> {
        let first = self.under(FIRST_MOMENT);
        let mut second = self.under(SECOND_MOMENT);
        let mut out = BTreeMap::new();
        for (path, (shape, m1)) in first {
            let (shape2, m2) = second.remove(&path).ok_or_else(|| {
                Error::Invalid(format!("the checkpoint lacks the second moment of {path}"))
            })?;
            if shape2 != shape || m1.len() != m2.len() {
                return Err(Error::Invalid(format!(
                    "the checkpoint's moments of {path} differ in shape"
                )));
            }
            let steps = self.meta.adam_steps.get(&path).copied().ok_or_else(|| {
                Error::Invalid(format!("the checkpoint lacks the step count of {path}"))
            })?;
            out.insert(
                path,
                SavedMoments {
                    steps,
                    shape,
                    first: m1,
                    second: m2,
                },
            );
        }
        if let Some(path) = second.keys().next() {
            return Err(Error::Invalid(format!(
                "the checkpoint lacks the first moment of {path}"
            )));
        }
        Ok(out)
    }

    /// Bytes the tensors take (what the size limit is checked against before serialising).
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.values().map(|(_, v)| v.len() as u64 * 4).sum()
    }
}

/// One parameter's AdamW state on the host.
#[derive(Debug, Clone)]
pub struct SavedMoments {
    pub steps: usize,
    pub shape: Vec<usize>,
    pub first: Vec<f32>,
    pub second: Vec<f32>,
}

/// A float parameter of a module: its path, id, shape and whether it trains.
#[derive(Debug, Clone)]
pub struct ParamEntry {
    pub path: String,
    pub id: ParamId,
    pub shape: Vec<usize>,
    pub trainable: bool,
}

/// Walks a module's float parameters with their paths; with `values`, also keeps each one's
/// value (flattened) for the parameters `keep` accepts.
struct Paths<'a> {
    stack: Vec<String>,
    keep: &'a dyn Fn(&ParamEntry) -> bool,
    values: bool,
    found: Vec<(ParamEntry, Option<Tensor<1>>)>,
}

impl ModuleVisitor for Paths<'_> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.stack.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.stack.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let entry = ParamEntry {
            path: self.stack.join("."),
            id: param.id,
            shape: param.dims().to_vec(),
            trainable: param.is_require_grad(),
        };
        if (self.keep)(&entry) {
            let n = entry.shape.iter().product::<usize>();
            let value = self.values.then(|| param.val().reshape([n]));
            self.found.push((entry, value));
        }
    }
}

fn walk<M: Module>(
    module: &M,
    keep: &dyn Fn(&ParamEntry) -> bool,
    values: bool,
) -> Vec<(ParamEntry, Option<Tensor<1>>)> {
    let mut v = Paths {
        stack: Vec::new(),
        keep,
        values,
        found: Vec::new(),
    };
    module.visit(&mut v);
    v.found
}

/// Every float parameter of `module`, in its order, with its path.
pub fn params<M: Module>(module: &M) -> Vec<ParamEntry> {
    walk(module, &|_| true, false)
        .into_iter()
        .map(|(entry, _)| entry)
        .collect()
}

/// The values of the parameters of `module` whose paths `keep` accepts, read from the device.
pub async fn read_params<M: Module>(
    module: &M,
    keep: impl Fn(&ParamEntry) -> bool,
) -> Result<HostTensors> {
    let mut out = HostTensors::new();
    for (entry, value) in walk(module, &keep, true) {
        if let Some(value) = value {
            out.insert(entry.path, (entry.shape, read_f32(value).await?));
        }
    }
    Ok(out)
}

/// `module` with the parameters named in `saved` set to the saved values (ids, trainability and
/// everything else about them kept). `required`: parameters that must be in `saved`. A saved
/// tensor the module lacks, or of another shape, is an error naming it.
pub fn load_params<M: Module>(
    module: M,
    saved: &HostTensors,
    required: impl Fn(&ParamEntry) -> bool,
) -> Result<M> {
    struct Load<'a, F> {
        stack: Vec<String>,
        saved: &'a HostTensors,
        required: &'a F,
        used: BTreeSet<String>,
        problems: Vec<String>,
    }
    impl<F: Fn(&ParamEntry) -> bool> ModuleMapper for Load<'_, F> {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.stack.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.stack.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let path = self.stack.join(".");
            let (id, tensor, mapper) = param.consume();
            let shape = tensor.dims().to_vec();
            let require_grad = tensor.is_require_grad();
            let Some((saved_shape, values)) = self.saved.get(&path) else {
                let entry = ParamEntry {
                    path: path.clone(),
                    id,
                    shape,
                    trainable: require_grad,
                };
                if (self.required)(&entry) {
                    self.problems.push(format!("{path} is missing"));
                }
                return Param::from_mapped_value(id, tensor, mapper);
            };
            self.used.insert(path.clone());
            if *saved_shape != shape || values.len() != shape.iter().product::<usize>() {
                self.problems.push(format!(
                    "{path} is {saved_shape:?}, the model's is {shape:?}"
                ));
                return Param::from_mapped_value(id, tensor, mapper);
            }
            let device = tensor.device();
            let mut loaded =
                Tensor::<D>::from_data(TensorData::new(values.clone(), shape), &device);
            if require_grad {
                loaded = loaded.require_grad();
            }
            Param::from_mapped_value(id, loaded, mapper)
        }
    }
    let mut m = Load {
        stack: Vec::new(),
        saved,
        required: &required,
        used: BTreeSet::new(),
        problems: Vec::new(),
    };
    let module = module.map(&mut m);
    m.problems.extend(
        saved
            .keys()
            .filter(|k| !m.used.contains(*k))
            .map(|k| format!("{k} is not a parameter of this model")),
    );
    if !m.problems.is_empty() {
        let more = m.problems.len().saturating_sub(5);
        m.problems.truncate(5);
        return Err(Error::Invalid(format!(
            "the checkpoint does not fit this model ({}{}): was it saved by another strategy or model?",
            m.problems.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )));
    }
    Ok(module)
}

/// Adds `from` to `tensors`, each name behind `prefix` ([`MODEL`], [`BEST`], ...).
pub(crate) fn insert_all(tensors: &mut HostTensors, prefix: &str, from: HostTensors) {
    tensors.extend(from.into_iter().map(|(k, v)| (format!("{prefix}{k}"), v)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    fn meta() -> CheckpointMeta {
        CheckpointMeta {
            format: FORMAT,
            identity: None,
            epochs_done: 1,
            step: 3,
            steps_per_epoch: 3,
            total_steps: 9,
            step_losses: vec![0.7, 0.6, 0.5],
            epochs: Vec::new(),
            best: Some(BestSoFar {
                epoch: 1,
                score: (0.5, -0.6),
            }),
            best_is_current: true,
            since_best: 0,
            dropout_rng: 42,
            adam_steps: BTreeMap::from([("weight".to_string(), 3)]),
            train_seconds: 1.5,
        }
    }

    fn linear() -> Linear {
        LinearConfig::new(3, 2).init(&Device::flex())
    }

    fn with(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Checkpoint {
        Checkpoint {
            meta: meta(),
            tensors: tensors
                .iter()
                .map(|(n, s, v)| (n.to_string(), (s.clone(), v.clone())))
                .collect(),
        }
    }

    #[test]
    fn a_checkpoint_round_trips_through_its_bytes_and_loads_by_path() {
        let c = with(&[
            ("model.weight", vec![3, 2], vec![1., 2., 3., 4., 5., 6.]),
            ("model.bias", vec![2], vec![0.5, -0.5]),
            ("adam.m1.weight", vec![3, 2], vec![0.1; 6]),
            ("adam.m2.weight", vec![3, 2], vec![0.2; 6]),
        ]);
        let back = Checkpoint::from_bytes(&c.to_bytes().unwrap(), "c.safetensors").unwrap();
        assert_eq!(back.tensors, c.tensors);
        assert_eq!(back.meta.step_losses, c.meta.step_losses);
        assert_eq!(back.meta.dropout_rng, 42);
        let moments = back.moments().unwrap();
        assert_eq!(moments["weight"].steps, 3);
        assert_eq!(back.best(), back.model(), "the best is the current model");

        let loaded = load_params(linear(), &back.model(), |_| true).unwrap();
        let weight = loaded.weight.val().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(weight, [1., 2., 3., 4., 5., 6.]);
        assert_eq!(
            params(&loaded)
                .iter()
                .map(|p| p.path.as_str())
                .collect::<Vec<_>>(),
            ["weight", "bias"]
        );
    }

    /// What a file that is not this run's checkpoint gets: each a message naming the problem.
    #[test]
    fn a_foreign_or_broken_checkpoint_is_refused_by_name() {
        let refused = |c: Checkpoint| {
            load_params(linear(), &c.model(), |_| true)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        let wrong_shape = refused(with(&[
            ("model.weight", vec![2, 3], vec![0.; 6]),
            ("model.bias", vec![2], vec![0.; 2]),
        ]));
        assert!(
            wrong_shape.contains("weight is [2, 3], the model's is [3, 2]"),
            "{wrong_shape}"
        );
        let missing = refused(with(&[("model.weight", vec![3, 2], vec![0.; 6])]));
        assert!(missing.contains("bias is missing"), "{missing}");
        let stranger = refused(with(&[
            ("model.weight", vec![3, 2], vec![0.; 6]),
            ("model.bias", vec![2], vec![0.; 2]),
            ("model.lora.a", vec![2], vec![0.; 2]),
        ]));
        assert!(
            stranger.contains("lora.a is not a parameter of this model"),
            "{stranger}"
        );

        let half = with(&[("adam.m1.weight", vec![3, 2], vec![0.; 6])]);
        let e = half.moments().unwrap_err().to_string();
        assert!(e.contains("lacks the second moment of weight"), "{e}");

        let e = Checkpoint::from_bytes(b"\x08\0\0\0\0\0\0\0{}      ", "x.safetensors")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.safetensors is not a webtune checkpoint"),
            "{e}"
        );
        let plain = crate::export::tensors::to_safetensors(&HostTensors::new(), None).unwrap();
        let e = Checkpoint::from_bytes(&plain, "model.safetensors")
            .unwrap_err()
            .to_string();
        assert!(e.contains("it has no checkpoint metadata"), "{e}");
        let mut future = with(&[]);
        future.meta.format = FORMAT + 1;
        let e = Checkpoint::from_bytes(&future.to_bytes().unwrap(), "new.safetensors")
            .unwrap_err()
            .to_string();
        assert!(e.contains("format 2, this webtune reads format 1"), "{e}");
        for cut in [0, 7, 100] {
            let bytes = with(&[("model.bias", vec![2], vec![1.; 2])])
                .to_bytes()
                .unwrap();
            let e = Checkpoint::from_bytes(&bytes[..cut.min(bytes.len() - 1)], "cut")
                .unwrap_err()
                .to_string();
            assert!(e.contains("cut is not a webtune checkpoint"), "{e}");
        }
    }
}
