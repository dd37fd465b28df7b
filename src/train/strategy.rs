//! What trains and what stays frozen.

use std::fmt;
use std::str::FromStr;

use burn::module::{Lora, Module};
use serde::{Deserialize, Serialize};

use crate::model::TextClassifier;
use crate::{Error, Result};

/// Low-rank adapter settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoraSpec {
    pub rank: usize,
    /// Scale numerator: the update is `alpha / rank · A·B`.
    pub alpha: f64,
    /// Adapt the top `layers` encoder layers (all when `None`).
    pub layers: Option<usize>,
    /// Also adapt the feed-forward projections (intermediate and output), not only query/value.
    pub ffn: bool,
}

impl Default for LoraSpec {
    fn default() -> Self {
        LoraSpec {
            rank: 8,
            alpha: 16.0,
            layers: None,
            ffn: false,
        }
    }
}

/// A freeze strategy. The head always trains.
///
/// It has one written form everywhere — flags, the browser's requests, `webtune.json` — the
/// string `Display` writes and `FromStr` reads (`last2`, `lora8-last2-ffn`); serde uses it too.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Strategy {
    /// Chosen from the data's size before training (see `train::plan::resolve_strategy`).
    #[default]
    Auto,
    /// Encoder frozen; the head is a logistic regression fitted to its optimum on the frozen,
    /// L2-normalised embeddings (L-BFGS, C = 1, scored by cross-validation; see
    /// `train::logreg`).
    Logreg,
    /// Encoder frozen; only the classification head trains (mini-batch AdamW).
    Head,
    /// The top `k` encoder layers and the head train.
    Last { k: usize },
    /// Everything trains, embeddings included.
    Full,
    /// Low-rank adapters on the top layers' projections; base weights frozen.
    Lora(LoraSpec),
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Auto => write!(f, "auto"),
            Strategy::Logreg => write!(f, "logreg"),
            Strategy::Head => write!(f, "head"),
            Strategy::Last { k } => write!(f, "last{k}"),
            Strategy::Full => write!(f, "full"),
            Strategy::Lora(s) => {
                write!(f, "lora{}", s.rank)?;
                if let Some(l) = s.layers {
                    write!(f, "-last{l}")?;
                }
                if s.ffn {
                    write!(f, "-ffn")?;
                }
                Ok(())
            }
        }
    }
}

impl From<Strategy> for String {
    fn from(s: Strategy) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Strategy {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl FromStr for Strategy {
    type Err = Error;
    /// `head`, `last2` (or `last-2`, `lastK`), `full`, `lora`, `lora8`, `lora8-last2`, `lora8-ffn`.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        let bad = || {
            Error::Invalid(format!(
                "unknown strategy \"{s}\" (expected auto, logreg, head, lastK such as last2, full, or lora[R][-lastK][-ffn])"
            ))
        };
        match s.as_str() {
            "auto" => return Ok(Strategy::Auto),
            "logreg" => return Ok(Strategy::Logreg),
            "head" => return Ok(Strategy::Head),
            _ => {}
        }
        if s == "full" {
            return Ok(Strategy::Full);
        }
        if let Some(k) = s.strip_prefix("last") {
            let k: usize = k
                .trim_start_matches(['-', '_'])
                .parse()
                .map_err(|_| bad())?;
            return if k == 0 {
                Err(bad())
            } else {
                Ok(Strategy::Last { k })
            };
        }
        if let Some(rest) = s.strip_prefix("lora") {
            let mut spec = LoraSpec::default();
            let mut parts = rest.split('-');
            let rank = parts.next().unwrap_or("");
            if !rank.is_empty() {
                spec.rank = rank.parse().map_err(|_| bad())?;
            }
            for part in parts {
                if part == "ffn" {
                    spec.ffn = true;
                } else if let Some(k) = part.strip_prefix("last") {
                    spec.layers = Some(k.parse().map_err(|_| bad())?);
                } else {
                    return Err(bad());
                }
            }
            if spec.rank == 0 || spec.layers == Some(0) {
                return Err(bad());
            }
            spec.alpha = 2.0 * spec.rank as f64;
            return Ok(Strategy::Lora(spec));
        }
        Err(bad())
    }
}

impl Strategy {
    /// Checks the strategy against a model with `num_layers` layers.
    pub fn validate(&self, num_layers: usize) -> Result<()> {
        let k = match self {
            Strategy::Last { k } => Some(*k),
            Strategy::Lora(s) => s.layers,
            _ => None,
        };
        match k {
            Some(k) if k > num_layers => Err(Error::Invalid(format!(
                "strategy {self} needs {k} layers but the model has {num_layers}"
            ))),
            _ => Ok(()),
        }
    }

    /// Index of the first encoder layer that changes during training: everything below it is
    /// frozen and its output can be cached. `None` for `head` (the whole encoder is frozen; the
    /// pooled embedding is cached); `Some(0)` means only the embedding output is constant.
    /// `full` trains the embeddings, so nothing is constant: `Some(0)` is not enough and the
    /// trainer does not cache (see [`Strategy::cacheable`]). `auto` is resolved before training.
    pub fn first_trainable_layer(&self, num_layers: usize) -> Option<usize> {
        match self {
            Strategy::Head | Strategy::Logreg | Strategy::Auto => None,
            Strategy::Last { k } => Some(num_layers - k.min(&num_layers)),
            Strategy::Full => Some(0),
            Strategy::Lora(s) => Some(num_layers - s.layers.unwrap_or(num_layers).min(num_layers)),
        }
    }

    /// Whether encoder parameters (or adapters on them) train.
    pub fn trains_encoder(&self) -> bool {
        matches!(
            self,
            Strategy::Last { .. } | Strategy::Full | Strategy::Lora(_)
        )
    }

    /// Whether any part of the network is constant during training.
    pub fn cacheable(&self) -> bool {
        !matches!(self, Strategy::Full)
    }

    /// Sets which parameters require gradients and attaches LoRA adapters. Frozen sub-modules
    /// are frozen with [`Module::freeze`], which also switches off their dropout, so a frozen
    /// layer computes the same thing whether it runs each step or once into the cache.
    pub fn apply(&self, mut model: TextClassifier) -> TextClassifier {
        let n = model.encoder.num_layers();
        match self {
            Strategy::Full => return model.unfreeze(),
            Strategy::Head | Strategy::Logreg | Strategy::Auto => {
                model.encoder = model.encoder.freeze();
            }
            Strategy::Last { k } => {
                let first = n - k.min(&n);
                model.encoder = model.encoder.freeze();
                for layer in &mut model.encoder.layers[first..] {
                    *layer = layer.clone().unfreeze();
                }
            }
            Strategy::Lora(spec) => {
                let first = n - spec.layers.unwrap_or(n).min(n);
                model.encoder = model.encoder.freeze();
                let lora = Lora::new(spec.rank, spec.alpha);
                for layer in &mut model.encoder.layers[first..] {
                    // Dropout stays active in adapted layers, as in PEFT.
                    let mut l = layer.clone().unfreeze();
                    l.attention.query = l.attention.query.apply_lora(lora.clone());
                    l.attention.value = l.attention.value.apply_lora(lora.clone());
                    if spec.ffn {
                        l.ffn.intermediate = l.ffn.intermediate.apply_lora(lora.clone());
                        l.ffn.output = l.ffn.output.apply_lora(lora.clone());
                    }
                    // Everything else in the layer stays frozen (bias = "none" in PEFT terms).
                    l.attention.key = l.attention.key.no_grad();
                    l.attention.output = l.attention.output.no_grad();
                    l.attention.norm = l.attention.norm.no_grad();
                    l.ffn.norm = l.ffn.norm.no_grad();
                    if !spec.ffn {
                        l.ffn.intermediate = l.ffn.intermediate.no_grad();
                        l.ffn.output = l.ffn.output.no_grad();
                    }
                    *layer = l;
                }
            }
        }
        model.head = model.head.unfreeze();
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for (s, want) in [
            ("auto", Strategy::Auto),
            ("logreg", Strategy::Logreg),
            ("head", Strategy::Head),
            ("last2", Strategy::Last { k: 2 }),
            ("last-3", Strategy::Last { k: 3 }),
            ("full", Strategy::Full),
        ] {
            assert_eq!(s.parse::<Strategy>().unwrap(), want);
        }
        let l: Strategy = "lora4-last2-ffn".parse().unwrap();
        assert_eq!(
            l,
            Strategy::Lora(LoraSpec {
                rank: 4,
                alpha: 8.0,
                layers: Some(2),
                ffn: true
            })
        );
        assert_eq!(l.to_string(), "lora4-last2-ffn");
        assert!("last0".parse::<Strategy>().is_err());
        assert!(
            "bogus"
                .parse::<Strategy>()
                .unwrap_err()
                .to_string()
                .contains("unknown strategy")
        );
        assert!(Strategy::Last { k: 7 }.validate(6).is_err());
        assert_eq!(Strategy::Last { k: 2 }.first_trainable_layer(6), Some(4));
    }
}
