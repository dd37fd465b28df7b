//! Zip archives of exported models (the browser downloads and re-opens a single file).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use super::ExportFile;
use crate::{Error, Result};

/// Largest total size unpacked from a dropped archive.
const MAX_UNPACKED: u64 = 2 << 30;

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
pub fn from_zip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::Io(format!("not a zip archive: {e}")))?;
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| Error::Io(format!("zip entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .enclosed_name()
            .ok_or_else(|| Error::Io(format!("zip entry {:?} has an unsafe path", entry.name())))?
            .to_string_lossy()
            .replace('\\', "/");
        total += entry.size();
        if total > MAX_UNPACKED {
            return Err(Error::Io("the archive unpacks to more than 2 GB".into()));
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| Error::Io(format!("{name}: {e}")))?;
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
}
