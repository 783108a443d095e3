//! The canary suite (issue 13): one random secret fed through every credential channel the
//! solver has — URL user-info in `-i` (one URL and a list), `THOTH_SOLVER_INDEXES`,
//! `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL`, pip.conf, `.netrc`, a query token, a requirement
//! line naming an index, the HTTP sink's URL, `AWS_*` for `-o s3://` — in every output format
//! (`python`'s document, `resolve` as requirements.txt and as pylock.toml), with `-vvv` text
//! logs and `-vv --log-format json` logs, on success and failure paths (401, unreachable
//! index). The canary must be in no byte of stdout, stderr, the `-o` file or a sink's body.

mod support;

use std::path::Path;

use common::canary::{Leaks, RecordingSink, canary, clean_command};
use common::testindex::{PageFormat, TestIndex};

const TARGET: [&str; 4] = ["--python-version", "3.11", "--platform", "linux-x86_64"];
const USER: &str = "canary-user";

/// An index with `alpha` (depends on `beta`) and `beta`, asking for the canary password.
fn index(format: PageFormat, secret: &str) -> TestIndex {
    let index = TestIndex::start(format);
    index.add_project(
        "alpha",
        vec![support::pure("alpha", "1.0", &["beta"], true)],
    );
    index.add_project("beta", vec![support::pure("beta", "1.0", &[], true)]);
    index.require_auth(USER, secret);
    index
}

/// `url` with `user:password@` in front of its host.
fn with_userinfo(url: &str, user: &str, password: &str) -> String {
    url.replacen("http://", &format!("http://{user}:{password}@"), 1)
}

/// One credential channel: the options and variables that feed the canary through it, and
/// whether the run is meant to succeed (a failure path must not leak either, but a channel
/// meant to work must really have been used).
struct Channel {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    requirements: String,
    succeeds: bool,
    /// `python` records what an index could not give in `unresolved` and exits 0.
    python_succeeds: bool,
}

fn channel(name: &'static str, args: &[&str], env: &[(&'static str, &str)]) -> Channel {
    Channel {
        name,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        env: env.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        requirements: "alpha".to_owned(),
        succeeds: true,
        python_succeeds: true,
    }
}

impl Channel {
    /// An index that cannot be used: `resolve` fails, `python` records it.
    fn index_fails(mut self) -> Self {
        self.succeeds = false;
        self
    }

    /// Bad input: every mode fails.
    fn fails(mut self) -> Self {
        self.succeeds = false;
        self.python_succeeds = false;
        self
    }
}

fn channels(
    secret: &str,
    json: &TestIndex,
    html: &TestIndex,
    sink: &RecordingSink,
    dir: &Path,
) -> Vec<Channel> {
    let authed = with_userinfo(&json.url(), USER, secret);
    let authed_html = with_userinfo(&html.url(), USER, secret);
    let list = format!("{authed},{authed_html}");
    let pip_conf = dir.join("pip.conf");
    std::fs::write(
        &pip_conf,
        format!("[global]\nindex-url = {authed}\nextra-index-url =\n    {authed_html}\n"),
    )
    .expect("pip.conf");
    let netrc = dir.join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login {USER} password {secret}\n"),
    )
    .expect("netrc");
    let requirements = dir.join("requirements.txt");
    std::fs::write(&requirements, format!("--index-url {authed}\nalpha\n")).expect("requirements");
    let unreachable = with_userinfo("http://127.0.0.1:1/simple/", USER, secret);
    let wrong = with_userinfo(&json.url(), USER, &format!("{secret}-wrong"));
    let token = format!("{}?token={secret}", json.url());
    let http_sink = format!(
        "{}/upload?token={secret}",
        with_userinfo(&sink.origin(), "sink", secret)
    );
    vec![
        channel("-i with user-info", &["-i", &authed], &[]),
        channel("-i list with user-info", &["-i", &list], &[]),
        channel(
            "THOTH_SOLVER_INDEXES",
            &[],
            &[("THOTH_SOLVER_INDEXES", &list)],
        ),
        channel(
            "PIP_INDEX_URL and PIP_EXTRA_INDEX_URL",
            &[],
            &[
                ("PIP_INDEX_URL", &authed),
                ("PIP_EXTRA_INDEX_URL", &authed_html),
            ],
        ),
        channel(
            "pip.conf (PIP_CONFIG_FILE)",
            &[],
            &[("PIP_CONFIG_FILE", &pip_conf.display().to_string())],
        ),
        channel(
            ".netrc (NETRC)",
            &["-i", &json.url()],
            &[("NETRC", &netrc.display().to_string())],
        ),
        channel("query token in -i (401)", &["-i", &token], &[]).index_fails(),
        channel("wrong password in -i (401)", &["-i", &wrong], &[]).index_fails(),
        channel(
            "unreachable index with user-info",
            &["-i", &unreachable],
            &[],
        )
        .index_fails(),
        Channel {
            requirements: format!("@{}", requirements.display()),
            ..channel(
                "requirements file naming an index",
                &["-i", &json.url()],
                &[],
            )
            .fails()
        },
        channel(
            "HTTP sink URL (-o)",
            &["-i", &json.url(), "-o", &http_sink],
            &[("NETRC", &netrc.display().to_string())],
        ),
        channel(
            "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (-o s3://)",
            &["-i", &json.url(), "-o", "s3://canary-bucket/doc.json"],
            &[
                ("NETRC", &netrc.display().to_string()),
                ("AWS_ACCESS_KEY_ID", "AKIDCANARYTEST"),
                ("AWS_SECRET_ACCESS_KEY", secret),
                ("AWS_SESSION_TOKEN", secret),
                ("AWS_ENDPOINT_URL_S3", &sink.origin()),
                ("AWS_REGION", "us-east-1"),
            ],
        ),
    ]
}

#[test]
fn the_canary_reaches_no_output() {
    let secret = canary();
    let json = index(PageFormat::Json, &secret);
    let html = index(PageFormat::Html, &secret);
    let sink = RecordingSink::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let modes: [(&str, &[&str]); 3] = [
        ("python document", &["python"]),
        ("resolve requirements.txt", &["resolve"]),
        (
            "resolve pylock.toml",
            &["resolve", "--format", "pylock-toml"],
        ),
    ];
    let logs: [&[&str]; 2] = [&["-vvv"], &["-vv", "--log-format", "json"]];
    let mut leaks = Leaks::default();
    let mut run = 0;
    let mut unexpected = Vec::new();
    for channel in channels(&secret, &json, &html, &sink, dir.path()) {
        for (mode, subcommand) in modes {
            for log in logs {
                run += 1;
                let case = format!("{} / {mode} / {}", channel.name, log.join(" "));
                let mut args: Vec<String> = subcommand.iter().map(|s| (*s).to_owned()).collect();
                args.extend(channel.args.iter().cloned());
                args.extend(["-r".to_owned(), channel.requirements.clone()]);
                args.extend(TARGET.iter().map(|s| (*s).to_owned()));
                args.extend(log.iter().map(|s| (*s).to_owned()));
                // Every other run writes its document to a file instead of stdout.
                let file = dir.path().join(format!("out-{run}"));
                if run % 2 == 0 && !channel.args.iter().any(|a| a == "-o") {
                    args.extend(["-o".to_owned(), file.display().to_string()]);
                }
                let home = dir.path().join(format!("home-{run}"));
                std::fs::create_dir_all(&home).expect("home");
                let mut cmd = clean_command(env!("CARGO_BIN_EXE_solver"), &home, None);
                cmd.args(&args);
                for (k, v) in &channel.env {
                    cmd.env(k, v);
                }
                let out = cmd.output().expect("the solver runs");
                leaks.check_output(&case, &secret, &out);
                let meant = if subcommand[0] == "python" {
                    channel.python_succeeds
                } else {
                    channel.succeeds
                };
                if out.status.success() != meant {
                    unexpected.push(format!("{case}: exit {:?}", out.status.code()));
                }
                if let Ok(bytes) = std::fs::read(&file) {
                    leaks.check(&case, "-o file", &secret, &bytes);
                }
                for body in sink.take() {
                    leaks.check(&case, "sink body", &secret, &body);
                }
            }
        }
    }
    leaks.assert_none();
    assert!(
        unexpected.is_empty(),
        "runs that did not end as meant: {unexpected:#?}"
    );
}
