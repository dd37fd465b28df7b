//! The encoder's shape, read from a Hugging Face `config.json`. Nothing about the model is
//! hard-coded: all-MiniLM-L6-v2, all-MiniLM-L12-v2 and bert-base-uncased differ only here.

use serde::Deserialize;

use crate::{Error, Result};

/// The feed-forward activation named by `hidden_act`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu`: the exact erf form, `x * Φ(x)` (what BERT and MiniLM use).
    Gelu,
    /// `gelu_new` / `gelu_pytorch_tanh` / `gelu_fast`: the tanh approximation.
    GeluTanh,
    /// `relu`.
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Result<Self> {
        match name {
            "gelu" => Ok(Activation::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(Error::Config(format!(
                "hidden_act \"{other}\" is not supported (expected gelu, gelu_new, gelu_pytorch_tanh, gelu_fast or relu)"
            ))),
        }
    }
}

/// The subset of a BERT `config.json` that determines the network.
#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub activation: Activation,
    pub hidden_dropout_prob: f64,
    pub attention_probs_dropout_prob: f64,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    /// Not burn's 1e-5 default: BERT checkpoints use 1e-12 and the outputs depend on it.
    pub layer_norm_eps: f64,
    pub pad_token_id: u32,
}

/// The raw file, with the defaults `transformers` applies to BERT.
#[derive(Deserialize)]
struct RawConfig {
    model_type: Option<String>,
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    intermediate_size: Option<usize>,
    #[serde(default = "default_act")]
    hidden_act: serde_json::Value,
    #[serde(default = "default_dropout")]
    hidden_dropout_prob: f64,
    #[serde(default = "default_dropout")]
    attention_probs_dropout_prob: f64,
    #[serde(default = "default_positions")]
    max_position_embeddings: usize,
    #[serde(default = "default_types")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    pad_token_id: Option<u32>,
    #[serde(default)]
    position_embedding_type: Option<String>,
    #[serde(default)]
    is_decoder: bool,
}

fn default_act() -> serde_json::Value {
    serde_json::Value::String("gelu".into())
}
fn default_dropout() -> f64 {
    0.1
}
fn default_positions() -> usize {
    512
}
fn default_types() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    /// Parses and checks `config.json`. Errors name the field and the problem.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let raw: RawConfig = serde_json::from_slice(bytes)
            .map_err(|e| Error::Config(format!("not a valid config: {e}")))?;
        if let Some(kind) = raw.model_type.as_deref()
            && kind != "bert"
        {
            return Err(Error::Config(format!(
                "model_type \"{kind}\" is not supported: webtune loads BERT-family encoders (model_type \"bert\")"
            )));
        }
        if let Some(kind) = raw.position_embedding_type.as_deref()
            && kind != "absolute"
        {
            return Err(Error::Config(format!(
                "position_embedding_type \"{kind}\" is not supported (only \"absolute\")"
            )));
        }
        if raw.is_decoder {
            return Err(Error::Config(
                "is_decoder is true: only encoders are supported".into(),
            ));
        }
        let required = |name: &str, v: Option<usize>| -> Result<usize> {
            match v {
                Some(0) => Err(Error::Config(format!("{name} must be greater than 0"))),
                Some(v) => Ok(v),
                None => Err(Error::Config(format!("missing field \"{name}\""))),
            }
        };
        let act = match &raw.hidden_act {
            serde_json::Value::String(s) => Activation::parse(s)?,
            other => {
                return Err(Error::Config(format!(
                    "hidden_act must be a string, found {other}"
                )));
            }
        };
        let config = BertConfig {
            vocab_size: required("vocab_size", raw.vocab_size)?,
            hidden_size: required("hidden_size", raw.hidden_size)?,
            num_hidden_layers: required("num_hidden_layers", raw.num_hidden_layers)?,
            num_attention_heads: required("num_attention_heads", raw.num_attention_heads)?,
            intermediate_size: required("intermediate_size", raw.intermediate_size)?,
            activation: act,
            hidden_dropout_prob: raw.hidden_dropout_prob,
            attention_probs_dropout_prob: raw.attention_probs_dropout_prob,
            max_position_embeddings: raw.max_position_embeddings,
            type_vocab_size: raw.type_vocab_size,
            layer_norm_eps: raw.layer_norm_eps,
            pad_token_id: raw.pad_token_id.unwrap_or(0),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::Config(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(Error::Config(format!(
                    "{name} must be in [0, 1), found {p}"
                )));
            }
        }
        if !(self.layer_norm_eps > 0.0 && self.layer_norm_eps.is_finite()) {
            return Err(Error::Config(format!(
                "layer_norm_eps must be a positive number, found {}",
                self.layer_norm_eps
            )));
        }
        if self.max_position_embeddings == 0 || self.type_vocab_size == 0 {
            return Err(Error::Config(
                "max_position_embeddings and type_vocab_size must be greater than 0".into(),
            ));
        }
        Ok(())
    }

    /// How many values the encoder's weights hold (what `model.safetensors` must provide). In
    /// `u128`: a config may declare absurd sizes, and `usize` is 32 bits in wasm.
    pub fn parameter_count(&self) -> u128 {
        let [v, h, l, f, p, t] = [
            self.vocab_size,
            self.hidden_size,
            self.num_hidden_layers,
            self.intermediate_size,
            self.max_position_embeddings,
            self.type_vocab_size,
        ]
        .map(|n| n as u128);
        // Saturating: natively the sizes are 64-bit, and 4·h² overflows even u128 for h ≥ 2⁶³.
        let (add, mul) = (u128::saturating_add, u128::saturating_mul);
        let embeddings = add(mul(add(add(v, p), t), h), mul(2, h));
        // Query, key, value and output projections; the two feed-forward linears; two norms.
        let attention = mul(4, add(mul(h, h), h));
        let feed_forward = add(add(mul(h, f), f), add(mul(f, h), h));
        let layer = add(add(attention, feed_forward), mul(4, h));
        add(embeddings, mul(l, layer))
    }

    /// The largest single weight, by name, and its values (`u128`, as [`Self::parameter_count`]):
    /// a GPU holds each weight in one buffer, so this bounds the buffer size a device needs.
    pub fn largest_weight(&self) -> (&'static str, u128) {
        let h = self.hidden_size as u128;
        [
            ("the word embeddings", self.vocab_size as u128),
            ("a feed-forward weight", self.intermediate_size as u128),
            (
                "the position embeddings",
                self.max_position_embeddings as u128,
            ),
        ]
        .into_iter()
        .map(|(name, n)| (name, n.saturating_mul(h)))
        .max_by_key(|&(_, n)| n)
        .expect("three candidates")
    }

    /// Size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINILM: &str = r#"{"architectures":["BertModel"],"hidden_act":"gelu","hidden_size":384,
        "intermediate_size":1536,"layer_norm_eps":1e-12,"max_position_embeddings":512,"model_type":"bert",
        "num_attention_heads":12,"num_hidden_layers":6,"pad_token_id":0,"type_vocab_size":2,"vocab_size":30522}"#;

    #[test]
    fn reads_minilm() {
        let c = BertConfig::from_json(MINILM.as_bytes()).unwrap();
        assert_eq!(c.hidden_size, 384);
        assert_eq!(c.num_hidden_layers, 6);
        assert_eq!(c.head_dim(), 32);
        assert_eq!(c.layer_norm_eps, 1e-12);
        assert_eq!(c.activation, Activation::Gelu);
        // all-MiniLM-L6-v2's 22,713,216 weights without its pooler (147,840).
        assert_eq!(c.parameter_count(), 22_713_216 - 147_840);
        #[cfg(target_pointer_width = "64")]
        let absurd = MINILM
            .replace("\"hidden_size\":384", "\"hidden_size\":9223372036854775808")
            .replace("\"num_attention_heads\":12", "\"num_attention_heads\":1");
        #[cfg(target_pointer_width = "64")]
        assert_eq!(
            BertConfig::from_json(absurd.as_bytes())
                .unwrap()
                .parameter_count(),
            u128::MAX
        );
    }

    #[test]
    fn rejects_bad_configs_with_the_field_name() {
        let cases = [
            (
                MINILM.replace("\"hidden_size\":384,", ""),
                "missing field \"hidden_size\"",
            ),
            (
                MINILM.replace("\"num_attention_heads\":12", "\"num_attention_heads\":5"),
                "not a multiple",
            ),
            (
                MINILM.replace("\"bert\"", "\"gpt2\""),
                "model_type \"gpt2\"",
            ),
            (
                MINILM.replace("\"gelu\"", "\"swish\""),
                "hidden_act \"swish\"",
            ),
            ("{".to_string(), "not a valid config"),
        ];
        for (text, expected) in cases {
            let err = BertConfig::from_json(text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("config.json: "), "{err}");
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }
}
