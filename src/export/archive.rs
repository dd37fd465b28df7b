//! Zip archives of exported models (the browser downloads and re-opens a single file).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use super::ExportFile;
use crate::{Error, Result};

/// Largest total size unpacked from a dropped archive (bert-large's weights are 1.3 GB).
const MAX_UNPACKED: u64 = 2 << 30;
/// Largest ratio of unpacked to packed size for a big entry. A model's weights are stored
/// (they do not compress) and its JSON deflates 3-10×; a zip bomb unpacks to hundreds or
/// thousands of times its size.
const MAX_RATIO: u64 = 100;
/// Entries up to this size are not held to [`MAX_RATIO`] (a small JSON of repeated text may
/// compress very well, and unpacking it costs nothing).
const RATIO_FREE_BYTES: u64 = 1 << 20;

/// Packs files into a zip. Weights are stored (they do not compress); JSON is deflated.
pub fn to_zip(files: &[ExportFile]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for f in files {
        let method = if f.path.ends_with(".safetensors") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(f.bytes.len() as u64 >= u32::MAX as u64);
        zip.start_file(f.path.as_str(), options)
            .map_err(|e| Error::Io(format!("zip: {e}")))?;
        zip.write_all(&f.bytes)
            .map_err(|e| Error::Io(format!("zip: {e}")))?;
    }
    let cursor = zip.finish().map_err(|e| Error::Io(format!("zip: {e}")))?;
    Ok(cursor.into_inner())
}

/// Unpacks a zip into `path → bytes`. A single top-level folder (`my-model/config.json`) is
/// stripped, as archives made by hand usually have one.
///
/// The archive is untrusted: every entry's name and declared size are checked from the central
/// directory before anything is unpacked (absolute and `..` paths, duplicate names, a total over
/// 2 GB, a zip bomb's compression ratio), and no entry may unpack to more than it declares.
pub fn from_zip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::Io(format!("not a zip archive: {e}")))?;
    // The reader keeps one entry of each name (silently): which one was meant is unclear.
    if archive.has_duplicate_names() {
        return Err(Error::Io(
            "the archive has two entries with one name: which one is meant is unclear".into(),
        ));
    }
    let mut planned = Vec::new();
    let mut names = BTreeSet::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| Error::Io(format!("zip entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let raw = entry
            .name()
            .map_err(|e| Error::Io(format!("zip entry {i}: {e}")))?
            .into_owned();
        let name = safe_name(&raw)?;
        if entry.enclosed_name().is_none() {
            return Err(Error::Io(format!(
                "zip entry \"{raw}\" has an unsafe path: not a model archive"
            )));
        }
        if !names.insert(name.clone()) {
            return Err(Error::Io(format!(
                "the archive has two entries named \"{name}\": which one is meant is unclear"
            )));
        }
        let size = entry.size();
        total = total.saturating_add(size);
        if total > MAX_UNPACKED {
            return Err(Error::Io(format!(
                "the archive unpacks to more than {} GB: not a model webtune can load in a browser tab",
                MAX_UNPACKED >> 30
            )));
        }
        let packed = entry.compressed_size().max(1);
        if size > RATIO_FREE_BYTES && size / packed > MAX_RATIO {
            return Err(Error::Io(format!(
                "zip entry \"{name}\" would unpack from {packed} to {size} bytes ({}×): model files do not compress like that (a zip bomb?)",
                size / packed
            )));
        }
        planned.push((i, name, size));
    }
    // Many small entries escape the ratio check one by one; not all together.
    let allowed = (bytes.len() as u64).saturating_mul(MAX_RATIO).max(64 << 20);
    if total > allowed {
        return Err(Error::Io(format!(
            "the archive would unpack from {} to {total} bytes: model files do not compress like that (a zip bomb?)",
            bytes.len()
        )));
    }
    let mut files = BTreeMap::new();
    for (i, name, size) in planned {
        let entry = archive
            .by_index(i)
            .map_err(|e| Error::Io(format!("{name}: {e}")))?;
        // Grown as it is read, not reserved from the declared size: a forged size must not
        // allocate before a byte is read.
        let mut data = Vec::with_capacity(size.min(64 << 20) as usize);
        entry.take(size + 1).read_to_end(&mut data).map_err(|e| {
            Error::Io(format!(
                "zip entry \"{name}\" cannot be unpacked: {e} (a damaged or forged archive)"
            ))
        })?;
        if data.len() as u64 != size {
            return Err(Error::Io(format!(
                "zip entry \"{name}\" unpacks to {} bytes but the archive declares {size}: a damaged or forged archive",
                if data.len() as u64 > size {
                    "more".to_string()
                } else {
                    data.len().to_string()
                }
            )));
        }
        files.insert(name, data);
    }
    let prefix = common_folder(files.keys());
    if let Some(prefix) = prefix {
        files = files
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_string(), v))
            .collect();
    }
    Ok(files)
}

/// The entry's name with `/` separators, refused when it could point outside the archive's
/// folder: absolute (`/x`, `C:\x`, `\\host\x`) or climbing (`../x`). Nothing here writes
/// files, but a name like that is never a model archive made in good faith.
fn safe_name(raw: &str) -> Result<String> {
    let name = raw.replace('\\', "/");
    let absolute =
        name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') || name.contains('\0');
    if absolute || name.split('/').any(|part| part == "..") {
        return Err(Error::Io(format!(
            "zip entry \"{raw}\" has an unsafe path (absolute, or climbing out with \"..\"): not a model archive"
        )));
    }
    Ok(name.trim_start_matches("./").to_string())
}

fn common_folder<'a>(mut names: impl Iterator<Item = &'a String>) -> Option<String> {
    let first = names.next()?;
    let folder = format!("{}/", first.split_once('/')?.0);
    if first.ends_with("config.json") && !first.contains('/') {
        return None;
    }
    names.all(|n| n.starts_with(&folder)).then_some(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_strips_one_top_folder() {
        let files = vec![
            ExportFile {
                path: "config.json".into(),
                bytes: b"{}".to_vec(),
            },
            ExportFile {
                path: "2_Dense/model.safetensors".into(),
                bytes: vec![7; 1000],
            },
        ];
        let back = from_zip(&to_zip(&files).unwrap()).unwrap();
        assert_eq!(back["config.json"], b"{}");
        assert_eq!(back["2_Dense/model.safetensors"], vec![7; 1000]);

        let nested = vec![
            ExportFile {
                path: "m/config.json".into(),
                bytes: b"{}".to_vec(),
            },
            ExportFile {
                path: "m/1_Pooling/config.json".into(),
                bytes: b"{}".to_vec(),
            },
        ];
        let back = from_zip(&to_zip(&nested).unwrap()).unwrap();
        assert!(back.contains_key("config.json") && back.contains_key("1_Pooling/config.json"));
        assert!(
            from_zip(b"not a zip")
                .unwrap_err()
                .to_string()
                .contains("not a zip archive")
        );
    }

    /// A zip of `(name, bytes, deflated)` entries, written as given (the writer does not judge).
    fn zip_of(entries: &[(&str, Vec<u8>, bool)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes, deflated) in entries {
            let method = if *deflated {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// Overwrites the uncompressed-size field of every local and central header.
    fn forge_declared_size(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
        let mut i = 0;
        while i + 30 <= zip.len() {
            let at = match &zip[i..i + 4] {
                [0x50, 0x4b, 0x03, 0x04] => Some(i + 22),
                [0x50, 0x4b, 0x01, 0x02] => Some(i + 24),
                _ => None,
            };
            if let Some(at) = at {
                zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
            }
            i += 1;
        }
        zip
    }

    fn err(bytes: &[u8]) -> String {
        from_zip(bytes).unwrap_err().to_string()
    }

    #[test]
    fn hostile_archives_are_refused_before_unpacking() {
        let json = b"{\"a\": 1}".to_vec();
        for name in [
            "../config.json",
            "/etc/config.json",
            "m/../../x.json",
            "C:\\x.json",
        ] {
            let e = err(&zip_of(&[(name, json.clone(), true)]));
            assert!(e.contains("has an unsafe path"), "{name}: {e}");
        }
        // Two entries with one name (the writer refuses to make it: rename one in place).
        let two = zip_of(&[
            ("a.json", json.clone(), false),
            ("b.json", json.clone(), false),
        ]);
        let mut dup = two.clone();
        for w in 0..dup.len() - 6 {
            if &dup[w..w + 6] == b"b.json" {
                dup[w..w + 6].copy_from_slice(b"a.json");
            }
        }
        assert!(
            err(&dup).contains("two entries with one name"),
            "{}",
            err(&dup)
        );
        let same = zip_of(&[
            ("a.json", json.clone(), true),
            ("./a.json", json.clone(), true),
        ]);
        assert!(
            err(&same).contains("two entries named \"a.json\""),
            "{}",
            err(&same)
        );
        // A zip bomb: 8 MB of zeros deflate to a few KB.
        let bomb = zip_of(&[("model.safetensors", vec![0; 8 << 20], true)]);
        assert!(bomb.len() < 100_000);
        assert!(err(&bomb).contains("(a zip bomb?)"), "{}", err(&bomb));
        // Declared sizes that lie: more than 2 GB in all, or less than the entry holds.
        let stored = zip_of(&[("config.json", vec![b' '; 100], false)]);
        let huge = forge_declared_size(stored.clone(), 3 << 30);
        assert!(
            err(&huge).contains("unpacks to more than 2 GB"),
            "{}",
            err(&huge)
        );
        let short = forge_declared_size(stored, 50);
        assert!(
            err(&short).contains("zip entry \"config.json\"")
                && err(&short).contains("a damaged or forged archive"),
            "{}",
            err(&short)
        );
        // A truncated archive.
        let cut = zip_of(&[("config.json", json.clone(), true)]);
        assert!(err(&cut[..cut.len() / 2]).contains("not a zip archive"));
        // Harmless odd names still load: `./` and a top folder are stripped.
        let ok = from_zip(&zip_of(&[("./config.json", json.clone(), true)])).unwrap();
        assert_eq!(ok["config.json"], json);
    }
}
