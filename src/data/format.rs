//! File formats, and turning raw bytes into text: size limit, binary detection, UTF-8 with or
//! without a BOM.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::{MAX_FILE_BYTES, Problem};

/// Supported dataset formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated, RFC 4180 quoting (quoted fields may hold commas and newlines).
    Csv,
    /// Tab-separated, same quoting rules.
    Tsv,
    /// One JSON object per line.
    Jsonl,
    /// `label<TAB>text` per line, no header, no quoting (the text may contain tabs).
    Txt,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Txt => "txt",
        })
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "tsv" | "tab" => Ok(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            "txt" | "text" => Ok(Format::Txt),
            other => Err(format!(
                "unknown format \"{other}\" (expected csv, tsv, jsonl or txt)"
            )),
        }
    }
}

impl Format {
    /// From the file name's extension, if it names one.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "txt" => Some(Format::Txt),
            _ => None,
        }
    }

    /// Guesses from the content: `{` starts JSONL; a tab in the first line means TSV; else CSV.
    pub fn sniff(text: &str) -> Format {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if first.trim_start().starts_with('{') {
            Format::Jsonl
        } else if first.contains('\t') {
            Format::Tsv
        } else {
            Format::Csv
        }
    }
}

/// 1-based line number of byte offset `pos` in `bytes`.
pub fn line_of(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Checks size, binary content and encoding; returns the text without a BOM.
pub fn decode(bytes: &[u8]) -> Result<&str, Problem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Problem {
            line: 0,
            message: format!(
                "the file is {:.1} MB; the limit is {} MB (train on a sample, or split it)",
                bytes.len() as f64 / 1e6,
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Problem {
            line: 0,
            message: "the file is empty".into(),
        });
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Problem {
            line: 1,
            message: "the file is UTF-16; save it as UTF-8".into(),
        });
    }
    if looks_like_utf16(bytes) {
        return Err(Problem {
            line: 1,
            message: "the file looks like UTF-16 (every other byte is 0); save it as UTF-8".into(),
        });
    }
    if let Some(pos) = bytes.iter().take(1 << 16).position(|&b| b == 0) {
        return Err(Problem {
            line: line_of(bytes, pos),
            message: "binary data (a NUL byte): this is not a text file".into(),
        });
    }
    std::str::from_utf8(bytes).map_err(|e| Problem {
        line: line_of(bytes, e.valid_up_to()),
        message: format!(
            "not valid UTF-8 (at byte {}); save the file as UTF-8",
            e.valid_up_to()
        ),
    })
}

/// UTF-16 without a byte-order mark: in its first bytes, the high (or low) byte of every
/// character is 0, as ASCII text in UTF-16 has.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return false;
    }
    let zeros_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|&b| b == 0);
    let none_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|&b| b != 0);
    (zeros_at(0) && none_at(1)) || (zeros_at(1) && none_at(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_and_rejects_binary_and_bad_utf8() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b\n").unwrap(), "a,b\n");
        assert_eq!(decode(b"  \n").unwrap_err().message, "the file is empty");
        let p = decode(b"text,label\nok,1\n\x00\x01").unwrap_err();
        assert_eq!(p.line, 3);
        assert!(p.message.contains("binary"));
        let p = decode(b"text,label\ncaf\xE9,1\n").unwrap_err();
        assert_eq!(p.line, 2);
        assert!(p.message.contains("not valid UTF-8"));
        // UTF-16 without a byte-order mark, either byte order.
        for order in [u16::to_le_bytes, u16::to_be_bytes] {
            let utf16: Vec<u8> = "text,label\n".encode_utf16().flat_map(order).collect();
            let message = decode(&utf16).unwrap_err().message;
            assert!(message.contains("looks like UTF-16"), "{message}");
        }
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(decode(&big).unwrap_err().message.contains("limit is 32 MB"));
    }

    #[test]
    fn detects_formats() {
        assert_eq!(Format::from_file_name("x.TSV"), Some(Format::Tsv));
        assert_eq!(Format::from_file_name("noext"), None);
        assert_eq!(Format::sniff("{\"text\":1}\n"), Format::Jsonl);
        assert_eq!(Format::sniff("a\tb\n"), Format::Tsv);
        assert_eq!(Format::sniff("a,b\n"), Format::Csv);
    }
}
