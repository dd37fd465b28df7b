//! The Hugging Face tokenizer, loaded from `tokenizer.json` bytes (the browser has no files),
//! with our own truncation and per-batch padding: the ids must be byte-identical to Python's.

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::{Error, Result};

/// Default maximum sequence length (tokens, including `[CLS]` and `[SEP]`).
pub const DEFAULT_MAX_LEN: usize = 128;

/// One text's token ids, unpadded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }
}

/// Several encodings padded to the longest one, row-major `[batch_size, seq_len]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaddedBatch {
    pub batch_size: usize,
    pub seq_len: usize,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    pub attention_mask: Vec<u8>,
}

impl PaddedBatch {
    /// Pads `items` on the right with `pad_id` to the longest length among them.
    pub fn pad(items: &[&Encoded], pad_id: u32) -> Self {
        let seq_len = items.iter().map(|e| e.len()).max().unwrap_or(0);
        let n = items.len() * seq_len;
        let mut batch = PaddedBatch {
            batch_size: items.len(),
            seq_len,
            input_ids: Vec::with_capacity(n),
            token_type_ids: Vec::with_capacity(n),
            attention_mask: Vec::with_capacity(n),
        };
        for e in items {
            let pad = seq_len - e.len();
            batch.input_ids.extend(&e.input_ids);
            batch.input_ids.extend(std::iter::repeat_n(pad_id, pad));
            batch.token_type_ids.extend(&e.token_type_ids);
            batch.token_type_ids.extend(std::iter::repeat_n(0, pad));
            batch.attention_mask.extend(std::iter::repeat_n(1, e.len()));
            batch.attention_mask.extend(std::iter::repeat_n(0, pad));
        }
        batch
    }

    /// Number of real (non-padding) tokens.
    pub fn real_tokens(&self) -> usize {
        self.attention_mask.iter().filter(|&&m| m == 1).count()
    }
}

/// A loaded tokenizer with a fixed truncation length.
#[derive(Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    max_len: usize,
    pad_id: u32,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("max_len", &self.max_len)
            .field("pad_id", &self.pad_id)
            .finish()
    }
}

impl TextTokenizer {
    /// Loads `tokenizer.json`. The file's own padding (MiniLM's pads every text to 128) is
    /// replaced by per-batch padding; truncation is set to `max_len` tokens.
    pub fn from_bytes(bytes: &[u8], max_len: usize) -> Result<Self> {
        if max_len < 2 {
            return Err(Error::Invalid(format!(
                "max length must be at least 2 tokens, got {max_len}"
            )));
        }
        let mut inner = Tokenizer::from_bytes(bytes)
            .map_err(|e| Error::Tokenizer(format!("could not load: {e}")))?;
        let pad_id = inner
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| inner.token_to_id("[PAD]"))
            .unwrap_or(0);
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| Error::Tokenizer(format!("could not set truncation: {e}")))?;
        Ok(TextTokenizer {
            inner,
            max_len,
            pad_id,
        })
    }

    /// The same tokenizer truncating at `max_len` tokens instead.
    pub fn with_max_len(&self, max_len: usize) -> Result<Self> {
        if max_len < 2 {
            return Err(Error::Invalid(format!(
                "max length must be at least 2 tokens, got {max_len}"
            )));
        }
        let mut t = self.clone();
        t.inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| Error::Tokenizer(format!("could not set truncation: {e}")))?;
        t.max_len = max_len;
        Ok(t)
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// Encodes one text with special tokens, truncated to `max_len`. A text over
    /// [`MAX_TEXT_BYTES`](crate::data::MAX_TEXT_BYTES) is refused before tokenising (the
    /// dataset readers refuse it with its line; this covers texts typed or pasted in).
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        self.check_length(text)?;
        let enc = self
            .inner
            .encode(text, true)
            .map_err(|e| Error::Tokenizer(format!("could not encode a text: {e}")))?;
        Ok(Encoded {
            input_ids: enc.get_ids().to_vec(),
            token_type_ids: enc.get_type_ids().to_vec(),
        })
    }

    /// Encodes two texts as one input, `[CLS] first [SEP] second [SEP]` with token type ids 0
    /// up to the first `[SEP]` and 1 after it, truncated to `max_len` tokens by taking from the
    /// longer side first (`longest_first`): the Python tokenizer's pair encoding, id for id
    /// (`tests/golden_embeddings.rs` against `scripts/pair_tokens_reference.py`). An empty side
    /// stays a pair (`[CLS] first [SEP] [SEP]`), as in a batched `transformers` call.
    pub fn encode_pair(&self, first: &str, second: &str) -> Result<Encoded> {
        self.check_length(first)?;
        self.check_length(second)?;
        let enc = self
            .inner
            .encode((first, second), true)
            .map_err(|e| Error::Tokenizer(format!("could not encode a pair of texts: {e}")))?;
        Ok(Encoded {
            input_ids: enc.get_ids().to_vec(),
            token_type_ids: enc.get_type_ids().to_vec(),
        })
    }

    /// A text over [`MAX_TEXT_BYTES`](crate::data::MAX_TEXT_BYTES) is refused before tokenising.
    fn check_length(&self, text: &str) -> Result<()> {
        if text.len() > crate::data::MAX_TEXT_BYTES {
            return Err(Error::Invalid(format!(
                "a text of {:.1} MB is too long: one text may be at most {} MB (the model reads only its first {} tokens)",
                text.len() as f64 / 1e6,
                crate::data::MAX_TEXT_BYTES / (1024 * 1024),
                self.max_len
            )));
        }
        Ok(())
    }

    /// Encodes every text, in order.
    pub fn encode_all<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Encoded>> {
        texts.iter().map(|t| self.encode(t.as_ref())).collect()
    }

    /// Encodes `first[i]` with `second[i]` as one input each ([`Self::encode_pair`]), in order;
    /// the two lists must be as long.
    pub fn encode_all_pairs<S: AsRef<str>>(
        &self,
        first: &[S],
        second: &[S],
    ) -> Result<Vec<Encoded>> {
        if first.len() != second.len() {
            return Err(Error::Invalid(format!(
                "{} first texts but {} second texts",
                first.len(),
                second.len()
            )));
        }
        first
            .iter()
            .zip(second)
            .map(|(a, b)| self.encode_pair(a.as_ref(), b.as_ref()))
            .collect()
    }

    /// Checks that every id fits the model's vocabulary, so a tokenizer that belongs to another
    /// model is reported at load time instead of failing inside an embedding lookup.
    pub fn check_vocab(&self, vocab_size: usize) -> Result<()> {
        let size = self.inner.get_vocab_size(true);
        if size > vocab_size {
            return Err(Error::Tokenizer(format!(
                "its vocabulary has {size} tokens but config.json says vocab_size is {vocab_size}: the tokenizer and the model do not belong together"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_longest_on_the_right() {
        let a = Encoded {
            input_ids: vec![101, 7, 102],
            token_type_ids: vec![0; 3],
        };
        let b = Encoded {
            input_ids: vec![101, 102],
            token_type_ids: vec![0; 2],
        };
        let p = PaddedBatch::pad(&[&a, &b], 0);
        assert_eq!((p.batch_size, p.seq_len), (2, 3));
        assert_eq!(p.input_ids, vec![101, 7, 102, 101, 102, 0]);
        assert_eq!(p.attention_mask, vec![1, 1, 1, 1, 1, 0]);
        assert_eq!(p.real_tokens(), 5);
    }

    #[test]
    fn bad_bytes_are_a_tokenizer_error() {
        let err = TextTokenizer::from_bytes(b"not json", 128).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("tokenizer.json: could not load"),
            "{err}"
        );
    }
}
