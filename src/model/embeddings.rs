//! Token embeddings: word + absolute position + token type, then LayerNorm (and dropout when
//! training), exactly as `transformers`' `BertEmbeddings`.

use burn::module::Module;
use burn::nn::{Dropout, Embedding, LayerNorm};
use burn::prelude::*;

use super::dropout;

/// The input layer of the encoder.
#[derive(Module, Debug)]
pub struct Embeddings {
    pub word: Embedding,
    pub position: Embedding,
    pub token_type: Embedding,
    pub norm: LayerNorm,
    pub dropout: Dropout,
}

impl Embeddings {
    /// `input_ids`, `token_type_ids`: `[batch, seq]` → hidden states `[batch, seq, hidden]`.
    pub fn forward(&self, input_ids: Tensor<2, Int>, token_type_ids: Tensor<2, Int>) -> Tensor<3> {
        let [_, seq] = input_ids.dims();
        let device = input_ids.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device).unsqueeze::<2>();
        let x = self.word.forward(input_ids)
            + self.position.forward(positions)
            + self.token_type.forward(token_type_ids);
        dropout::apply(&self.dropout, self.norm.forward(x))
    }
}
