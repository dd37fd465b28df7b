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

/// Files easy to produce by mistake that would train on nothing: each is refused with what is
/// wrong (and its line where it has one), or, where only some rows are, counted.
#[test]
fn files_that_would_train_on_nothing_are_refused_with_the_reason() {
    // A JSON object where the text should be (and every example carrying the same two labels).
    let err = training_error(
        b"{\"text\": {\"a\": 0}, \"label\": [1, 2]}\n{\"text\": {\"a\": 0}, \"label\": [1, 2]}\n{\"text\": [\"x\"], \"label\": [1, 2]}\n",
        "objects.jsonl",
    );
    assert!(
        err.contains(
            "line 1: a JSON object where a text is expected (key \"text\"): write the text as a string"
        ) && err.contains("line 3: a JSON array where a text is expected"),
        "{err}"
    );
    // A JSON object as a single label.
    let err = training_error(
        b"{\"text\": \"good\", \"label\": {\"v\": 1}}\n{\"text\": \"bad\", \"label\": \"neg\"}\n",
        "label.jsonl",
    );
    assert!(
        err.contains("line 1: a JSON object where a label is expected (key \"label\")"),
        "{err}"
    );
    // A label on every example: nothing to learn about it.
    let err = training_error(b"text,labels\nx,a;b\ny,a\nz,a;b\n", "all-a.csv");
    assert!(
        err.contains(
            "label \"a\" is on every example (3 of 3): there is nothing to learn about it"
        ),
        "{err}"
    );
    assert!(!err.contains("label \"b\""), "{err}");
    // 0/1 columns: one all 1s, one all 0s.
    let err = training_error(b"text,a,b,c\nx,1,0,0\ny,1,1,0\nz,1,0,0\n", "flags.csv");
    assert!(
        err.contains("label \"a\" is on every example (3 of 3)")
            && err.contains("remove its column")
            && err.contains(
                "column \"c\" is 0 on every row: no example has that label, so a model cannot learn it"
            ),
        "{err}"
    );
    // The text column holds numbers only: the wrong column was taken for the texts.
    let p = parse_with(
        b"id,review,label\n1,good film,pos\n2,bad film,neg\n3,fine,pos\n",
        "ids.csv",
        Some("id"),
        Some("label"),
    );
    let err = p.into_training_set().unwrap_err().to_string();
    assert!(
        err.contains("every text of column \"id\" is a number (3 rows): is it the column that holds the texts?"),
        "{err}"
    );
    // Sentence pairs whose second text copies the first: refused when all do, counted when some.
    let err = training_error(
        b"sentence1,sentence2,label\nthe cat,the cat,same\na dog,a dog,other\n",
        "copies.csv",
    );
    assert!(
        err.contains("the two texts are the same on every row (columns \"sentence1\" and \"sentence2\", 2 rows)"),
        "{err}"
    );
    let p = parse(
        b"sentence1,sentence2,label\nthe cat,the cat,same\na dog,a wolf,other\n",
        "some.csv",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.identical_pairs(), 1);
    // Embedding pair files: the same rule.
    let err = data::pairs::parse_pairs(
        b"anchor,positive\nwhat is rust,what is rust\nhow to cook,how to cook\n",
        "same.csv",
        None,
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "the two texts are the same on every row (columns \"anchor\" and \"positive\", 2 rows)"
        ),
        "{err}"
    );
    let set = data::pairs::parse_pairs(
        b"anchor,positive\nwhat is rust,what is rust\nhow to cook,a recipe\n",
        "some.csv",
        None,
        &Default::default(),
    )
    .unwrap();
    assert_eq!(set.identical(), 1);
    let err = data::pairs::parse_pairs(
        b"{\"anchor\": {\"q\": 1}, \"positive\": \"x\"}\n",
        "obj.jsonl",
        None,
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("line 1: a JSON object where a text is expected (key \"anchor\")"),
        "{err}"
    );
}

/// A model remembers the columns it was trained on: a file with the same header, which no
/// detection rule knows (a public paraphrase corpus's own), is read by them.
#[test]
fn a_file_is_read_by_the_columns_the_model_was_trained_on() {
    use webtune::job::{DataColumns, DataOptions};
    let tsv = b"Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t11\t12\tHe said it rained.\tIt rained, he said.\n0\t13\t14\tThe shop opens at nine.\tPrices rose in May.\n";
    let trained_on = DataColumns {
        text_column: "#1 String".into(),
        text_pair_column: Some("#2 String".into()),
        label_column: "Quality".into(),
    };
    let options = DataOptions::default().with_columns_of(&trained_on, tsv, "test.tsv");
    let p = options.parse(tsv, "test.tsv").unwrap();
    assert_eq!(
        (
            p.text_column.as_str(),
            p.pair_column.as_deref(),
            p.label_column.as_str()
        ),
        ("#1 String", Some("#2 String"), "Quality")
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    // The options the user names still decide.
    let mine = DataOptions {
        text_column: Some("#2 String".into()),
        ..Default::default()
    };
    let p = mine
        .with_columns_of(&trained_on, tsv, "test.tsv")
        .parse(tsv, "test.tsv")
        .unwrap();
    assert_eq!(
        (
            p.text_column.as_str(),
            p.pair_column.as_deref(),
            p.label_column.as_str()
        ),
        ("#2 String", None, "Quality"),
        "a column named for one role is not taken for another"
    );
    // A header without those columns: detection as before.
    let other = b"text,label\ngood,pos\nbad,neg\n";
    let o = DataOptions::default().with_columns_of(&trained_on, other, "o.csv");
    assert_eq!(o.text_column, None);
    // What webtune.json records is what is read back.
    let record = serde_json::json!({"training": {"columns": {
        "text_column": "#1 String", "text_pair_column": "#2 String", "label_column": "Quality"}}});
    assert_eq!(DataColumns::of_webtune_json(&record), Some(trained_on));
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

/// Multi-label, regression and sentence-pair files: every accepted form of labels, the task and
/// the pair column detected (or chosen), and each bad input a message naming its file and line.
/// (In this file, not one of its own: every test file is one more link of burn in CI.)
mod tasks {

    use webtune::data::{self, ParseOptions, Targets, Task};
    use webtune::job::{DataFile, TrainRequest};

    fn parse(bytes: &str, name: &str, task: Option<Task>, label: Option<&str>) -> data::ParsedFile {
        data::parse(
            bytes.as_bytes(),
            &ParseOptions {
                file_name: name.into(),
                task,
                label_column: label.map(String::from),
                ..Default::default()
            },
        )
        .expect("readable")
    }

    fn names(set: &data::Dataset) -> Vec<&str> {
        set.label_set.names().iter().map(String::as_str).collect()
    }

    /// `request` on a training file (and a validation file), each `(name, bytes)`.
    fn prepare<'a>(
        request: &TrainRequest,
        train: (&'a str, &'a [u8]),
        valid: Option<(&'a str, &'a [u8])>,
    ) -> webtune::Result<webtune::job::PreparedJob> {
        let file = |(name, bytes): (&'a str, &'a [u8])| DataFile { name, bytes };
        request.prepare(file(train), valid.map(file), None)
    }

    fn lists(set: &data::Dataset) -> &[Vec<usize>] {
        match &set.targets {
            Targets::Multi(l) => l,
            other => panic!("not multi-label: {other:?}"),
        }
    }

    #[test]
    fn multi_label_lists_in_every_form_give_the_same_dataset() {
        let semicolons = "text,labels\nbill me twice,billing;urgent\nwhere is my parcel,shipping\nthanks,\nrefund now,billing;urgent;billing\n";
        let jsonl = concat!(
            r#"{"text": "bill me twice", "labels": ["billing", "urgent"]}"#,
            "\n",
            r#"{"text": "where is my parcel", "labels": ["shipping"]}"#,
            "\n",
            r#"{"text": "thanks", "labels": []}"#,
            "\n",
            r#"{"text": "refund now", "labels": ["urgent", "billing"]}"#,
            "\n"
        );
        let indicators = "text,billing,shipping,urgent\nbill me twice,1,0,1\nwhere is my parcel,0,1,0\nthanks,0,0,0\nrefund now,1,0,1\n";
        let mut sets = Vec::new();
        for (body, name) in [
            (semicolons, "t.csv"),
            (jsonl, "t.jsonl"),
            (indicators, "t.csv"),
        ] {
            let p = parse(body, name, None, None);
            assert_eq!(p.task, Task::Multi, "{name}: detected");
            assert!(p.problems.is_empty(), "{name}: {:?}", p.problems);
            assert_eq!(p.unlabelled(), 1, "{name}: the row without a label is kept");
            sets.push(p.into_training_set().expect("usable"));
        }
        for s in &sets {
            assert_eq!(names(s), ["billing", "shipping", "urgent"]);
            assert_eq!(lists(s), &[vec![0, 2], vec![1], vec![], vec![0, 2]]);
            assert_eq!(s.class_counts(), vec![2, 1, 2]);
            assert_eq!(s.outputs(), 3);
        }
        // The indicator columns, named: the label column says which (and the detection says).
        let p = parse(indicators, "t.csv", None, Some("urgent,billing"));
        assert_eq!(p.label_column, "urgent,billing");
        let s = p.into_training_set().unwrap();
        assert_eq!(names(&s), ["billing", "urgent"]);
        assert_eq!(lists(&s)[1], Vec::<usize>::new());
    }

    #[test]
    fn bad_multi_label_input_names_the_line() {
        let body = "text,labels\ngood,a;b\nbad one,a;;b\nworse,\"[\"\"a\"\", \"\"\"\"]\"\nfine,b\n";
        let e = parse(body, "tickets.csv", None, None)
            .into_training_set()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("tickets.csv: 2 problems"), "{e}");
        assert!(
            e.contains("line 3: the label list \"a;;b\" has an empty item"),
            "{e}"
        );
        assert!(e.contains("line 4: the label list"), "{e}");
        assert!(e.contains("has an empty label"), "{e}");
        let body = "text,toxic,insult\nhi,0,0\nyou,1,yes\n";
        let e = parse(body, "c.csv", None, Some("toxic,insult"))
            .into_training_set()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3: \"yes\" in column \"insult\" is not 0 or 1"),
            "{e}"
        );
        let e = parse(
            "text,labels\na,\nb,\n",
            "empty.csv",
            Some(Task::Multi),
            None,
        )
        .into_training_set()
        .unwrap_err()
        .to_string();
        assert!(e.contains("no example has a label"), "{e}");
    }

    #[test]
    fn regression_is_detected_and_a_non_number_names_its_line() {
        let p = parse(
            "sentence,score\nfine,3.5\nbad,1.0\ngreat,4.75\n",
            "r.csv",
            None,
            None,
        );
        assert_eq!(p.task, Task::Regression);
        assert_eq!(p.score_range(), Some((1.0, 4.75)));
        let s = p.into_training_set().unwrap();
        assert_eq!(s.targets, Targets::Scores(vec![3.5, 1.0, 4.75]));
        assert_eq!(names(&s), ["score"]);
        assert_eq!(s.outputs(), 1);
        // Integers stay classes unless chosen.
        let stars = "text,rating\na,1\nb,5\nc,3\nd,5\ne,1\nf,3\n";
        assert_eq!(parse(stars, "s.csv", None, None).task, Task::Single);
        let s = parse(stars, "s.csv", Some(Task::Regression), None)
            .into_training_set()
            .unwrap();
        assert_eq!(s.task(), Task::Regression);
        let e = parse(
            "text,score\na,1.5\nb,abc\nc,NaN\nd,2\n",
            "r.csv",
            Some(Task::Regression),
            None,
        )
        .into_training_set()
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(
                "line 3: \"abc\" is not a number (column \"score\" holds the numbers to predict)"
            ),
            "{e}"
        );
        assert!(e.contains("line 4: \"NaN\" is not a finite number"), "{e}");
        let e = parse("text,score\na,2.0\nb,2.0\n", "r.csv", None, None)
            .into_training_set()
            .unwrap_err()
            .to_string();
        assert!(e.contains("every value of column \"score\" is 2"), "{e}");
    }

    #[test]
    fn sentence_pairs_are_detected_or_chosen() {
        let p = parse(
            "sentence1,sentence2,score\nA plane takes off.,An air plane is taking off.,5.0\nA man plays.,A woman sings.,0.4\n",
            "sts.csv",
            None,
            None,
        );
        assert_eq!(
            (
                p.text_column.as_str(),
                p.pair_column.as_deref(),
                p.label_column.as_str()
            ),
            ("sentence1", Some("sentence2"), "score")
        );
        assert_eq!(p.task, Task::Regression);
        let s = p.into_training_set().unwrap();
        assert_eq!(
            s.pairs.as_deref(),
            Some(
                &[
                    "An air plane is taking off.".to_string(),
                    "A woman sings.".to_string()
                ][..]
            )
        );
        // Chosen by name; an empty second text names its line; an empty name: single texts.
        let body = "q,a,label\nis it open?,yes until nine,1\nwhere?,,0\nwhen?,tomorrow,0\n";
        let p = data::parse(
            body.as_bytes(),
            &ParseOptions {
                file_name: "qa.csv".into(),
                text_column: Some("q".into()),
                pair_column: Some("a".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].line, 3);
        assert_eq!(p.problems[0].message, "empty second text (column \"a\")");
        let p = parse(
            "premise,hypothesis,label\nx,y,entailment\nz,w,neutral\n",
            "nli.csv",
            None,
            None,
        );
        assert_eq!(p.pair_column.as_deref(), Some("hypothesis"));
        let p = data::parse(
            b"premise,hypothesis,label\nx,y,a\nz,w,b\n",
            &ParseOptions {
                pair_column: Some(String::new()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.pair_column, None);
    }

    /// A validation file is read as the training file was: its task and pair column, even where its
    /// own values would suggest another (no row of this one lists two labels).
    #[test]
    fn the_validation_file_is_read_as_the_training_file() {
        let train = b"text,labels\nbill me,billing;urgent\nparcel,shipping\nrefund,billing\nlate,shipping;urgent\n";
        let valid = b"text,labels\nwhere,shipping\ncharge,billing\n";
        let request = TrainRequest::default();
        let job = prepare(&request, ("train.csv", train), Some(("valid.csv", valid))).unwrap();
        assert_eq!(job.file.task, Task::Multi);
        assert_eq!(job.valid.task(), Task::Multi);
        assert_eq!(lists(&job.valid), &[vec![1], vec![0]]);
        let e = prepare(
            &request,
            ("train.csv", train),
            Some(("valid.csv", b"text,labels\nx,refunds\n")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("valid.csv")
                && e.contains("line 2: label 'refunds' is not one of the training labels"),
            "{e}"
        );
    }

    /// Few-shot mode makes single-label classifiers of single texts: labels and pairs are refused
    /// with what to do instead, not read as something else.
    #[test]
    fn few_shot_mode_refuses_labels_and_pairs() {
        let request: TrainRequest = serde_json::from_str(r#"{"mode": "fewshot"}"#).unwrap();
        let refused = |bytes: &[u8]| {
            prepare(&request, ("f.csv", bytes), None)
                .unwrap_err()
                .to_string()
        };
        let e = refused(b"text,labels\na,x;y\nb,x\nc,y\nd,x;y\n");
        assert!(e.contains("few-shot training makes single-label classifiers; this data is multi-label classification"), "{e}");
        let e = refused(b"question1,question2,label\na,b,1\nc,d,0\ne,f,1\ng,h,0\n");
        assert!(e.contains("few-shot training reads single texts; this data is sentence pairs (column \"question2\""), "{e}");
    }

    /// Multi-label and regression files hold out validation data by their own rules: every label on
    /// both sides where it can be; a seeded random part of numbers.
    #[test]
    fn held_out_validation_follows_the_task() {
        let mut body = String::from("text,labels\n");
        for i in 0..120 {
            let labels = match i % 6 {
                0 => "a;b",
                1 | 2 => "a",
                3 => "b",
                4 => "",
                _ => "c",
            };
            body.push_str(&format!("text number {i},{labels}\n"));
        }
        body.push_str("rare one,d\nrare two,d;a\n");
        let job = prepare(&TrainRequest::default(), ("m.csv", body.as_bytes()), None).unwrap();
        assert_eq!(job.train.len() + job.valid.len(), 122);
        assert!(job.valid.len() >= 8, "{}", job.valid.len());
        for (l, name) in ["a", "b", "c", "d"].iter().enumerate() {
            let has = |s: &data::Dataset| lists(s).iter().any(|x| x.contains(&l));
            assert!(
                has(&job.train) && has(&job.valid),
                "label {name} on both sides"
            );
        }
        assert!(
            job.config
                .notes
                .iter()
                .any(|n| n.contains("every label is on both sides"))
        );
    }
}
