//! One error type for the whole engine. Every variant carries a message meant for a person: it
//! names the file (or tensor, or line) and says what is wrong, because the same text ends up in
//! the CLI's stderr and in a rejected Promise on the page.

use std::fmt;

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `config.json` is missing a field, has a bad value, or describes an unsupported model.
    Config(String),
    /// `model.safetensors` is unreadable, or its tensors do not match the config.
    Weights(String),
    /// `tokenizer.json` could not be loaded or a text could not be encoded.
    Tokenizer(String),
    /// No usable compute device, or the device failed while running.
    Backend(String),
    /// A file on disk could not be read or written.
    Io(String),
    /// A dataset file cannot be used: every problem with its file and line.
    Dataset(String),
    /// The caller passed something unusable (an empty batch, an unknown option, ...).
    Invalid(String),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m) => write!(f, "config.json: {m}"),
            Error::Weights(m) => write!(f, "model.safetensors: {m}"),
            Error::Tokenizer(m) => write!(f, "tokenizer.json: {m}"),
            Error::Backend(m) => write!(f, "backend: {m}"),
            Error::Io(m) | Error::Dataset(m) | Error::Invalid(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The message alone, without the prefix `Display` puts before it (`backend: `, the file's
    /// name): for wrapping one error's text in another of the same kind.
    pub fn message(&self) -> &str {
        match self {
            Error::Config(m)
            | Error::Weights(m)
            | Error::Tokenizer(m)
            | Error::Backend(m)
            | Error::Io(m)
            | Error::Dataset(m)
            | Error::Invalid(m) => m,
        }
    }

    /// What kind of failure this is, as a stable word a program can branch on (the page picks its
    /// advice by it; the JS library puts it on its errors as `kind`): `model` (config.json,
    /// model.safetensors or tokenizer.json), `dataset`, `backend`, `io` or `invalid` (an unusable
    /// option or argument).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) | Error::Weights(_) | Error::Tokenizer(_) => "model",
            Error::Backend(_) => "backend",
            Error::Io(_) => "io",
            Error::Dataset(_) => "dataset",
            Error::Invalid(_) => "invalid",
        }
    }

    /// Wraps a failed GPU/CPU readback: the device lost, out of memory, a kernel that failed.
    pub(crate) fn readback(e: impl fmt::Debug) -> Self {
        Error::Backend(format!(
            "reading a result back from the device failed: {e:?}"
        ))
    }
}

impl From<crate::data::DataError> for Error {
    fn from(e: crate::data::DataError) -> Self {
        Error::Dataset(e.to_string())
    }
}
