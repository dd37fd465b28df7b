//! Fine-tuning: freeze strategies, the frozen-feature cache, the async training loop,
//! optimisation and metrics.

pub mod batches;
pub mod cache;
pub mod checkpoint;
pub mod config;
pub mod embedding;
pub mod fewshot;
pub mod logreg;
pub mod metrics;
mod objective;
pub mod optim;
pub mod pair_sampler;
pub mod pair_steps;
pub mod plan;
pub mod progress;
pub mod search;
mod source;
pub mod strategy;
pub mod trainer;
pub mod trial;

pub use config::{ClassWeighting, HeadInit, Mode, PairLossChoice, TrainConfig};
pub use metrics::Metrics;
pub use optim::Schedule;
pub use plan::{Plan, Prepared, prepare};
pub use progress::{CacheInfo, EpochReport, Progress, TrainHost};
pub use search::{Trial, fit};
pub use strategy::{LoraSpec, Strategy};
pub use trainer::{TrainOutcome, train};
