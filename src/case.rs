//! Key case at the JavaScript boundary. Files keep Rust's and Python's `snake_case` keys
//! (`metrics.json`, `webtune.json`, what `webtune eval` prints); JavaScript sees `camelCase`
//! everywhere. One rule converts every object key on the way out and back, so no type carries
//! two spellings and no key is missed: `macro_f1` ⇄ `macroF1`, `is_fallback` ⇄ `isFallback`.
//!
//! Only keys are converted, never values, and no value that crosses the boundary is a map keyed
//! by user data (labels travel as lists), so a label such as `not_spam` is never rewritten.

use serde_json::{Map, Value};

/// `snake_case` → `camelCase` (`per_class` → `perClass`); a key without `_` is unchanged.
pub fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `camelCase` → `snake_case` (`batchSize` → `batch_size`, `macroF1` → `macro_f1`); a key in
/// `snake_case` already is unchanged.
pub fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every object key in `value`, at any depth, through `f`.
pub fn rename_keys(value: Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (f(&k), rename_keys(v, f)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| rename_keys(v, f)).collect()),
        other => other,
    }
}

/// A value for JavaScript: its keys in `camelCase`.
pub fn to_camel(value: Value) -> Value {
    rename_keys(value, &camel)
}

/// A value from JavaScript: its keys in `snake_case`, as the Rust types read them. An object with
/// two keys that become one (`batchSize` and `batch_size`) is refused: one would silently replace
/// the other.
pub fn to_snake(value: Value) -> Result<Value, String> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let s = snake(&k);
                if out.contains_key(&s) {
                    return Err(format!(
                        "the option \"{s}\" is given twice, in two spellings (one is \"{k}\")"
                    ));
                }
                out.insert(s, to_snake(v)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .into_iter()
            .map(to_snake)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_convert_both_ways_and_round_trip() {
        for (s, c) in [
            ("macro_f1", "macroF1"),
            ("per_class", "perClass"),
            ("is_fallback", "isFallback"),
            ("bytes_to_device_per_step", "bytesToDevicePerStep"),
            ("label", "label"),
            ("lr_head", "lrHead"),
        ] {
            assert_eq!(camel(s), c);
            assert_eq!(snake(c), s);
            assert_eq!(snake(s), s, "snake_case input is left as it is");
        }
    }

    #[test]
    fn only_keys_change_at_every_depth() {
        let v = json!({"valid_metrics": {"per_class": [{"label": "not_spam", "f1": 1.0}]},
                       "strategy": "last2", "class_counts": [["very_good", 3]]});
        let c = to_camel(v.clone());
        assert_eq!(
            c,
            json!({"validMetrics": {"perClass": [{"label": "not_spam", "f1": 1.0}]},
                   "strategy": "last2", "classCounts": [["very_good", 3]]})
        );
        assert_eq!(to_snake(c), Ok(v));
    }

    #[test]
    fn two_spellings_of_one_key_are_refused() {
        let e = to_snake(json!({"opts": {"batch_size": 8, "batchSize": 16}})).unwrap_err();
        assert!(e.contains("given twice"), "{e}");
    }
}
