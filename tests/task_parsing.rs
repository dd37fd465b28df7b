//! Multi-label, regression and sentence-pair files: every accepted form of labels, the task and
//! the pair column detected (or chosen), and each bad input a message naming its file and line.
#![cfg(not(target_arch = "wasm32"))]

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
    assert!(e.contains("line 3: the label list \"a;;b\" has an empty item"), "{e}");
    assert!(e.contains("line 4: the label list"), "{e}");
    assert!(e.contains("has an empty label"), "{e}");
    let body = "text,toxic,insult\nhi,0,0\nyou,1,yes\n";
    let e = parse(body, "c.csv", None, Some("toxic,insult"))
        .into_training_set()
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3: \"yes\" in column \"insult\" is not 0 or 1"), "{e}");
    let e = parse("text,labels\na,\nb,\n", "empty.csv", Some(Task::Multi), None)
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
    assert!(e.contains("line 3: \"abc\" is not a number (column \"score\" holds the numbers to predict)"), "{e}");
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
        (p.text_column.as_str(), p.pair_column.as_deref(), p.label_column.as_str()),
        ("sentence1", Some("sentence2"), "score")
    );
    assert_eq!(p.task, Task::Regression);
    let s = p.into_training_set().unwrap();
    assert_eq!(
        s.pairs.as_deref(),
        Some(&["An air plane is taking off.".to_string(), "A woman sings.".to_string()][..])
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
    let job = request
        .prepare(
            DataFile {
                name: "train.csv",
                bytes: train,
            },
            Some(DataFile {
                name: "valid.csv",
                bytes: valid,
            }),
            None,
        )
        .unwrap();
    assert_eq!(job.file.task, Task::Multi);
    assert_eq!(job.valid.task(), Task::Multi);
    assert_eq!(lists(&job.valid), &[vec![1], vec![0]]);
    let e = request
        .prepare(
            DataFile {
                name: "train.csv",
                bytes: train,
            },
            Some(DataFile {
                name: "valid.csv",
                bytes: b"text,labels\nx,refunds\n",
            }),
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("valid.csv") && e.contains("line 2: label 'refunds' is not one of the training labels"), "{e}");
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
    let job = TrainRequest::default()
        .prepare(
            DataFile {
                name: "m.csv",
                bytes: body.as_bytes(),
            },
            None,
            None,
        )
        .unwrap();
    assert_eq!(job.train.len() + job.valid.len(), 122);
    assert!(job.valid.len() >= 8, "{}", job.valid.len());
    for (l, name) in ["a", "b", "c", "d"].iter().enumerate() {
        let has = |s: &data::Dataset| lists(s).iter().any(|x| x.contains(&l));
        assert!(has(&job.train) && has(&job.valid), "label {name} on both sides");
    }
    assert!(job.config.notes.iter().any(|n| n.contains("every label is on both sides")));
}
