//! Helpers for training tests: small real datasets and a host that records events.
#![allow(dead_code)]

use std::cell::Cell;

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use webtune::data::{self, Dataset, ParseOptions};
use webtune::engine::read_f32;
use webtune::train::{Progress, TrainHost};

/// The first `n` rows of an SST-2 file from `../shared/data/sst2/`.
pub fn sst2(name: &str, n: usize) -> Dataset {
    let path = super::shared_dir().join("data/sst2").join(name);
    let bytes = std::fs::read(&path).unwrap();
    let full = data::parse(
        &bytes,
        &ParseOptions {
            file_name: name.into(),
            ..Default::default()
        },
    )
    .unwrap()
    .into_training_set()
    .unwrap();
    let idx: Vec<usize> = (0..n.min(full.len())).collect();
    full.subset(&idx)
}

/// Records every event; cancels after `cancel_after` steps when set.
#[derive(Default)]
pub struct RecordingHost {
    pub events: Vec<Progress>,
    pub cancel_after: Option<usize>,
    pub steps: Cell<usize>,
}

impl TrainHost for RecordingHost {
    fn progress(&mut self, event: &Progress) {
        if let Progress::Step { step, .. } = event {
            self.steps.set(*step);
        }
        self.events.push(event.clone());
    }
    fn cancelled(&self) -> bool {
        self.cancel_after.is_some_and(|n| self.steps.get() >= n)
    }
}

/// Every float parameter's stored value (LoRA bases without their adapters, then the adapter
/// factors), in visiting order.
pub fn param_values<M: Module>(m: &M) -> Vec<Vec<f32>> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t: Tensor<D> = (**param).clone();
            let n = t.shape().num_elements();
            self.0.push(t.reshape([n]));
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0.into_iter()
        .map(|t| pollster::block_on(read_f32(t)).unwrap())
        .collect()
}
