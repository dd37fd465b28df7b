//! Fine-tuning: freeze strategies, the frozen-feature cache, the async training loop,
//! optimisation and metrics.

pub mod batches;
pub mod cache;
pub mod config;
pub mod metrics;
pub mod optim;
pub mod progress;
pub mod strategy;
pub mod trainer;

pub use config::{ClassWeighting, TrainConfig};
pub use metrics::Metrics;
pub use optim::Schedule;
pub use progress::{CacheInfo, EpochReport, Progress, TrainHost};
pub use strategy::{LoraSpec, Strategy};
pub use trainer::{TrainOutcome, train};
