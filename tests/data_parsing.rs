//! The dataset parser on good and bad inputs; every bad one gives its expected message, with
//! the line number, and all problems of a file are reported together.
#![cfg(not(target_arch = "wasm32"))]

use webtune::data::{self, Format, LabelSet, ParseOptions};

fn parse(bytes: &[u8], name: &str) -> data::ParsedFile {
    data::parse(
        bytes,
        &ParseOptions {
            file_name: name.into(),
            ..Default::default()
        },
    )
    .expect("readable")
}

fn parse_with(
    bytes: &[u8],
    name: &str,
    text: Option<&str>,
    label: Option<&str>,
) -> data::ParsedFile {
    let opts = ParseOptions {
        file_name: name.into(),
        text_column: text.map(String::from),
        label_column: label.map(String::from),
        ..Default::default()
    };
    data::parse(bytes, &opts).expect("readable")
}

/// The whole error text of a file used as training data.
fn training_error(bytes: &[u8], name: &str) -> String {
    match data::parse(
        bytes,
        &ParseOptions {
            file_name: name.into(),
            ..Default::default()
        },
    ) {
        Err(e) => e.to_string(),
        Ok(p) => p
            .into_training_set()
            .expect_err("should be rejected")
            .to_string(),
    }
}

#[test]
fn csv_with_bom_crlf_and_quoted_newlines() {
    let csv = "\u{feff}text,label\r\n\"a film, with commas\",pos\r\n\"two\r\nlines\",neg\r\nplain,pos\r\nmore,neg\r\n";
    let p = parse(csv.as_bytes(), "reviews.csv");
    assert_eq!(p.format, Format::Csv);
    assert!(p.has_header);
    assert_eq!(
        (p.text_column.as_str(), p.label_column.as_str()),
        ("text", "label")
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.examples[0].text, "a film, with commas");
    assert_eq!(p.examples[1].text, "two\r\nlines");
    assert_eq!(p.examples[1].line, 3);
    assert_eq!(
        p.examples[2].line, 5,
        "line numbers count the embedded newline"
    );
    let d = p.into_training_set().unwrap();
    assert_eq!(d.label_set.names(), ["neg", "pos"]);
    assert_eq!(d.labels, vec![1, 0, 1, 0]);
}

#[test]
fn tsv_jsonl_and_txt() {
    let tsv = parse(b"sentence\tlabel\nit 's \"fine\"\t1\nbad\t0\n", "x.tsv");
    assert_eq!(tsv.format, Format::Tsv);
    assert_eq!(
        tsv.examples[0].text, "it 's \"fine\"",
        "TSV does not treat quotes specially"
    );

    let jsonl = parse(
        b"{\"text\": \"good\", \"label\": 1}\n\n{\"text\": \"bad\", \"label\": 0, \"id\": 7}\n",
        "x.jsonl",
    );
    assert_eq!(jsonl.format, Format::Jsonl);
    assert_eq!(jsonl.examples.len(), 2);
    assert_eq!(jsonl.examples[0].label, "1");
    assert_eq!(jsonl.examples[1].line, 3);

    let txt = parse(b"pos\tgreat fun\nneg\tdull\tand long\n", "x.txt");
    assert_eq!(txt.format, Format::Txt);
    assert_eq!(txt.examples[1].text, "dull\tand long");
    assert_eq!(txt.examples[1].label, "neg");
}

#[test]
fn columns_are_detected_without_a_header_and_can_be_chosen() {
    let rows = "this movie is wonderful,positive\nterrible acting throughout,negative\nquite good,positive\nboring,negative\n";
    let p = parse(rows.as_bytes(), "noheader.csv");
    assert!(!p.has_header);
    assert_eq!(
        (p.text_column.as_str(), p.label_column.as_str()),
        ("1", "2")
    );
    assert_eq!(p.examples.len(), 4);

    let named = "id,review,stars\n1,great,5\n2,awful,1\n3,fine,5\n4,bad,1\n";
    let p = parse_with(named.as_bytes(), "r.csv", Some("review"), Some("3"));
    assert_eq!(
        (p.text_column.as_str(), p.label_column.as_str()),
        ("review", "stars")
    );
    assert_eq!(p.examples[0].label, "5");
}

#[test]
fn real_sst2_files_parse_cleanly() {
    for name in ["train-2000.csv", "dev.csv"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/sst2")
            .join(name);
        let p = parse(&std::fs::read(&path).unwrap(), name);
        assert!(
            p.problems.is_empty(),
            "{name}: {:?}",
            &p.problems[..p.problems.len().min(3)]
        );
        let d = p.into_training_set().unwrap();
        assert_eq!(d.label_set.names(), ["negative", "positive"]);
        assert!(d.len() >= 872);
    }
}

#[test]
fn each_bad_input_has_its_message() {
    let cases: &[(&[u8], &str, &str)] = &[
        (b"", "e.csv", "e.csv: 1 problem\n  the file is empty"),
        (
            b"text,label\nok,a\n\x00\x01\x02",
            "b.csv",
            "line 3: binary data (a NUL byte): this is not a text file",
        ),
        (
            b"text,label\ncaf\xe9,a\nb,c\n",
            "l.csv",
            "line 2: not valid UTF-8 (at byte 14); save the file as UTF-8",
        ),
        (
            b"text,label\ngood,a\n ,a\nbad,b\nworse,b\n",
            "t.csv",
            "line 3: empty text (column \"text\")",
        ),
        (
            b"text,label\ngood,a\nfine,\nbad,b\nworse,b\n",
            "t.csv",
            "line 3: empty label (column \"label\")",
        ),
        (
            b"text,label\ngood,a\nfine,a\nbad,b\nworse,b\nodd,c\n",
            "t.csv",
            "line 6: label \"c\" appears only once; a class needs at least 2 examples",
        ),
        (
            b"text,label\ngood,a\nfine,a\n",
            "t.csv",
            "only one class (\"a\"); a classifier needs at least 2",
        ),
        (
            b"text,label\ngood,a\nfine,a,extra\nbad,b\nworse,b\n",
            "t.csv",
            "line 3: expected 2 fields, found 3",
        ),
        (
            b"{\"text\":\"a\",\"label\":1}\n{not json}\n",
            "j.jsonl",
            "line 2: invalid JSON",
        ),
        (b"[1,2]\n", "j.jsonl", "line 1: not a JSON object"),
        (
            b"pos\tgood\njust text\n",
            "t.txt",
            "line 2: expected \"label<TAB>text\" (no tab found)",
        ),
        (
            b"text\nonly one column\n",
            "one.csv",
            "found 1 column; a dataset needs a text column and a label column",
        ),
        (
            b"\xff\xfet\x00e\x00",
            "u.csv",
            "line 1: the file is UTF-16; save it as UTF-8",
        ),
    ];
    for (bytes, name, expected) in cases {
        let err = training_error(bytes, name);
        assert!(err.starts_with(name), "{err}");
        assert!(
            err.contains(expected),
            "{name}: expected {expected:?} in:\n{err}"
        );
    }
}

#[test]
fn a_missing_chosen_column_is_named() {
    let p = parse_with(
        b"text,label\ngood,a\nbad,b\n",
        "c.csv",
        Some("review"),
        None,
    );
    let err = p.into_training_set().unwrap_err().to_string();
    assert!(
        err.contains("line 1: no text column \"review\" (columns: text, label)"),
        "{err}"
    );
}

#[test]
fn every_problem_is_collected_with_its_line() {
    let csv = "text,label\ngood,a\n,a\nfine,a,x\nbad,\nworse,b\nugh,b\nnice,a\n";
    let err = data::parse(
        csv.as_bytes(),
        &ParseOptions {
            file_name: "m.csv".into(),
            ..Default::default()
        },
    )
    .unwrap()
    .into_training_set()
    .unwrap_err();
    let lines: Vec<usize> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 4, 5], "{err}");
    assert!(err.to_string().starts_with("m.csv: 3 problems"));
}

#[test]
fn files_over_the_limit_are_refused_up_front() {
    let big = vec![b'a'; data::MAX_FILE_BYTES + 10];
    let err = training_error(&big, "big.csv");
    assert!(
        err.contains("the file is 33.6 MB; the limit is 32 MB"),
        "{err}"
    );
}

#[test]
fn validation_labels_must_be_training_labels() {
    let labels = LabelSet::from_names(vec!["neg".into(), "pos".into()]);
    let p = parse(b"text,label\nfine,pos\nodd,meh\n", "v.csv");
    let err = p.into_dataset_with(&labels).unwrap_err().to_string();
    assert!(
        err.contains("line 3: label 'meh' is not one of the training labels (neg, pos)"),
        "{err}"
    );
}

/// Files that are not what they claim, or that would exhaust a tab: one clear message each,
/// found without quadratic work (a million classes used to take hours).
#[test]
fn hostile_datasets_end_in_one_clear_message() {
    // A 10 MB field, and the usual cause of one: a quote that is never closed.
    let mut long = b"text,label\ngood,a\nfine,a\n".to_vec();
    long.extend(vec![b'x'; 10 << 20]);
    long.extend(b",b\nbad,b\n");
    let err = training_error(&long, "long.csv");
    assert!(
        err.contains("line 4: the text (column \"text\") is 10.5 MB; one text may be at most 1 MB"),
        "{err}"
    );
    let mut unclosed = b"text,label\ngood,a\n\"oops,a\n".to_vec();
    for _ in 0..100_000 {
        unclosed.extend(b"more text here,b\n");
    }
    let err = training_error(&unclosed, "unclosed.csv");
    assert!(err.contains("a quote that is never closed"), "{err}");

    // A million classes: every row its own label.
    let mut many = String::from("text,label\n");
    for i in 0..1_000_000 {
        many.push_str(&format!("t,{i}\n"));
    }
    let started = std::time::Instant::now();
    let err = training_error(many.as_bytes(), "ids.csv");
    assert!(
        err.contains(
            "the label column \"label\" has 1000000 different values in 1000000 rows; a classifier may have at most 10000 classes"
        ),
        "{err}"
    );
    assert!(err.starts_with("ids.csv: 1 problem\n"), "{}", &err[..200]);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    // A label column that is empty in every row: one message, not one a line.
    let err = training_error(b"text,label\none,\ntwo,\nthree,\n", "empty.csv");
    assert!(
        err.contains(
            "empty.csv: 1 problem\n  the label column \"label\" is empty in every row (3 rows)"
        ),
        "{err}"
    );

    // UTF-16 without a byte-order mark.
    let utf16: Vec<u8> = "text,label\ngood,a\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(training_error(&utf16, "u.csv").contains("looks like UTF-16"));
}

#[test]
fn hostile_pair_files_end_in_clear_messages() {
    let mut long = b"anchor,positive\na,b\n".to_vec();
    long.extend(vec![b'y'; 2 << 20]);
    long.extend(b",c\n");
    let err = data::pairs::parse_pairs(&long, "p.csv", None, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "line 3: the text (column \"anchor\") is 2.1 MB; one text may be at most 1 MB"
        ),
        "{err}"
    );
}

#[test]
fn jsonl_objects_that_share_no_keys_are_refused_not_multiplied() {
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!("{{\"k{i}\": \"v\"}}\n"));
    }
    let err = training_error(text.as_bytes(), "keys.jsonl");
    assert!(
        err.contains("4000 objects with 4000 different keys between them"),
        "{err}"
    );
}
