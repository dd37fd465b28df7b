//! The network, backend-agnostic and free of I/O: built by [`crate::weights`], run by the engine
//! and the trainer. Pure tensor code, tested natively against PyTorch reference values.

pub mod activation;
pub mod attention;
pub mod classifier;
pub mod config;
pub mod contrastive_loss;
pub mod dropout;
pub mod embeddings;
pub mod encoder;
pub mod input;
pub mod layer;
pub mod loss;
pub mod pooling;

pub use classifier::{Head, TextClassifier};
pub use config::{Activation, BertConfig};
pub use encoder::BertEncoder;
pub use input::ModelInput;
pub use pooling::{l2_normalize, mean_pool};
