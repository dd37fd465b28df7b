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

    /// Wraps a failed GPU/CPU readback: the device lost, out of memory, a kernel that failed. A
    /// lost device (cubecl marks it poisoned once wgpu reports the loss, and every later read
    /// fails) says so first, in words a front end can show and recognise
    /// ([`Error::is_device_lost`]).
    pub(crate) fn readback(e: impl fmt::Debug) -> Self {
        let detail = format!("{e:?}");
        // burn's `ExecutionError::DevicePoisoned` reads "The device is poisoned\nCaused by:\n
        // <reason>", the reason cubecl's "<kind>: <message>" (then, maybe, a backtrace).
        if let Some((_, cause)) = detail.split_once("device is poisoned") {
            let reason = cause
                .trim_start_matches(|c: char| c == '\n' || c.is_whitespace())
                .trim_start_matches("Caused by:")
                .trim()
                .lines()
                .next()
                .unwrap_or("")
                .trim();
            return Error::Backend(if reason.is_empty() {
                DEVICE_LOST.to_string()
            } else {
                format!("{DEVICE_LOST} ({reason})")
            });
        }
        // In a browser a destroyed device fails the read's `mapAsync` before `GPUDevice.lost`
        // resolves (and cubecl marks the device poisoned): a buffer that cannot be mapped means
        // the device is gone.
        if detail.contains("could not be mapped") {
            return Error::Backend(format!(
                "{DEVICE_LOST} (a result could not be read back: the buffer could not be mapped)"
            ));
        }
        Error::Backend(format!(
            "reading a result back from the device failed: {detail}"
        ))
    }

    /// Whether this is the GPU device's loss (the device is unusable from then on).
    pub fn is_device_lost(&self) -> bool {
        matches!(self, Error::Backend(m) if m.starts_with(DEVICE_LOST))
    }
}

/// How a lost GPU device's error begins.
pub const DEVICE_LOST: &str = "the GPU device was lost";

impl From<crate::data::DataError> for Error {
    fn from(e: crate::data::DataError) -> Self {
        Error::Dataset(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What burn gives for a read on a device wgpu lost (cubecl poisons it), and for another
    /// failure: only the first is a lost device, named with cubecl's reason.
    #[test]
    fn a_poisoned_device_reads_as_a_lost_device() {
        let poisoned = burn::tensor::ExecutionError::device_poisoned(
            "Destroyed: Device was destroyed.\nBacktrace:\n   0: somewhere",
        );
        let e = Error::readback(poisoned);
        assert!(e.is_device_lost());
        assert_eq!(
            e.message(),
            "the GPU device was lost (Destroyed: Device was destroyed.)"
        );
        // What Chromium's WebGPU gives first for a destroyed device (the end-to-end test's).
        let unmapped = Error::readback(burn::tensor::ExecutionError::with_context(
            "the staging buffer could not be mapped: Error occurred when trying to async map a buffer",
        ));
        assert!(unmapped.is_device_lost(), "{unmapped}");
        let other = Error::readback(burn::tensor::ExecutionError::with_context(
            "a kernel failed",
        ));
        assert!(!other.is_device_lost(), "{other}");
        assert!(other.to_string().contains("a kernel failed"), "{other}");
    }
}
