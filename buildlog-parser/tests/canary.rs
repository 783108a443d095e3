//! The canary suite (issue 13): one random secret fed through every credential channel the
//! build-log parser has — credentials in the URLs a build log names (index user-info, a query
//! token on a download, both in a plain log and in a JSON log read with `-j`), the HTTP sink's
//! URL, `AWS_*` for `-o s3://` — with `-vvv` text logs and `-vv --log-format json` logs, on
//! success and failure paths (a JSON input whose path does not select a string). The canary must
//! be in no byte of stdout, stderr, the `-o` file or a sink's body.

use std::path::Path;

use common::canary::{Leaks, RecordingSink, canary, clean_command};

const LOGS: [&[&str]; 2] = [&["-vvv"], &["-vv", "--log-format", "json"]];

/// A pip log that names a credentialed index and downloads with a token.
fn pip_log(secret: &str) -> String {
    format!(
        "Looking in indexes: http://canary-user:{secret}@127.0.0.1:8080/simple/, https://{secret}@127.0.0.2/extra/\n\
         Collecting demo-greeting==1.3.0 (from -r requirements.txt (line 1))\n\
         \x20 Downloading http://127.0.0.1:8080/files/demo_greeting-1.3.0-py3-none-any.whl?token={secret} (4 kB)\n\
         ERROR: Could not find a version that satisfies the requirement missing-thing (from versions: none)\n\
         ERROR: No matching distribution found for missing-thing\n\
         WARNING: Retrying (Retry(total=4)) after connection broken: http://canary-user:{secret}@127.0.0.1:8080/simple/missing-thing/\n"
    )
}

struct Channel {
    name: &'static str,
    input: String,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    succeeds: bool,
}

fn channels(secret: &str, sink: &RecordingSink, dir: &Path) -> Vec<Channel> {
    let log = dir.join("build.log");
    std::fs::write(&log, pip_log(secret)).expect("log");
    let json = dir.join("build.json");
    std::fs::write(
        &json,
        serde_json::json!({"log": pip_log(secret), "url": format!("http://u:{secret}@h/")})
            .to_string(),
    )
    .expect("json log");
    let not_a_string = dir.join("bad.json");
    std::fs::write(
        &not_a_string,
        serde_json::json!({"log": {"index": format!("http://u:{secret}@h/simple/")}}).to_string(),
    )
    .expect("bad json");
    // The sink channels read a log without credentials: a leak there is the sink's.
    let clean = dir.join("clean.log");
    std::fs::write(&clean, pip_log("public").replace("canary-user:public@", "")).expect("log");
    let http_sink = format!(
        "http://sink:{secret}@{}/upload?token={secret}",
        sink.authority()
    );
    let input = |p: &Path| p.display().to_string();
    let channel = |name, input: String, args: &[&str]| Channel {
        name,
        input,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        env: Vec::new(),
        succeeds: true,
    };
    let mut s3 = channel(
        "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (-o s3://)",
        input(&clean),
        &["-o", "s3://canary-bucket/doc.json"],
    );
    s3.env = vec![
        ("AWS_ACCESS_KEY_ID", "AKIDCANARYTEST".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_owned()),
        ("AWS_SESSION_TOKEN", secret.to_owned()),
        ("AWS_ENDPOINT_URL_S3", sink.origin()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    vec![
        channel("URLs with credentials in a text log", input(&log), &[]),
        channel(
            "URLs with credentials in a JSON log (-j)",
            input(&json),
            &["-j", "$.log"],
        ),
        Channel {
            succeeds: false,
            ..channel(
                "a JSON log whose path selects no string",
                input(&not_a_string),
                &["-j", "$.log"],
            )
        },
        channel("HTTP sink URL (-o)", input(&clean), &["-o", &http_sink]),
        s3,
    ]
}

#[test]
fn the_canary_reaches_no_output() {
    let secret = canary();
    let sink = RecordingSink::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut leaks = Leaks::default();
    let mut unexpected = Vec::new();
    for (n, channel) in channels(&secret, &sink, dir.path()).into_iter().enumerate() {
        for (run, log) in LOGS.iter().enumerate() {
            let case = format!("{} / {}", channel.name, log.join(" "));
            let mut cmd = clean_command(env!("CARGO_BIN_EXE_buildlog-parser"), dir.path(), None);
            cmd.args(["parse", "-i", &channel.input])
                .args(&channel.args)
                .args(*log);
            let file = dir.path().join(format!("out-{n}-{run}.json"));
            if run == 1 && !channel.args.iter().any(|a| a == "-o") {
                cmd.arg("-o").arg(&file);
            }
            for (k, v) in &channel.env {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("the parser runs");
            leaks.check_output(&case, &secret, &out);
            if let Ok(bytes) = std::fs::read(&file) {
                leaks.check(&case, "-o file", &secret, &bytes);
            }
            for body in sink.take() {
                leaks.check(&case, "sink body", &secret, &body);
            }
            if out.status.success() != channel.succeeds {
                unexpected.push(format!("{case}: exit {:?}", out.status.code()));
            }
        }
    }
    leaks.assert_none();
    assert!(
        unexpected.is_empty(),
        "runs that did not end as meant: {unexpected:#?}"
    );
}
