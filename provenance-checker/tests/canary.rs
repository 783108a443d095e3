//! The canary suite (issue 13): one random secret fed through every credential channel the
//! checker has — index and artifact URLs of each lock format (Pipfile.lock `sources`,
//! requirements.txt `--index-url` / `--extra-index-url`, pylock.toml `index` and wheel URLs,
//! poetry sources, uv registries), a lock given as content, `-i` and
//! `THOTH_WHITELISTED_SOURCES`, `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL`, pip.conf, `.netrc`,
//! a query token, the HTTP sink's URL, `AWS_*` for `-o s3://` — with `-vvv` text logs and
//! `-vv --log-format json` logs, on success and failure paths (401, unreachable index). The
//! canary must be in no byte of stdout, stderr, the `-o` file or a sink's body.

use std::path::Path;

use common::canary::{Leaks, RecordingSink, canary, clean_command};
use common::testindex::{PageFormat, TestFile, TestIndex};

const USER: &str = "canary-user";
const WHEEL: &[u8] = b"foo wheel 1.0";

fn index(format: PageFormat, secret: &str) -> TestIndex {
    let index = TestIndex::start(format);
    index.add_project(
        "foo",
        vec![TestFile::new("foo-1.0-py3-none-any.whl", WHEEL)],
    );
    index.require_auth(USER, secret);
    index
}

fn with_userinfo(url: &str, user: &str, password: &str) -> String {
    url.replacen("http://", &format!("http://{user}:{password}@"), 1)
}

/// One credential channel: lock files to write, options and variables; the exit codes the run
/// is meant to end with, so a channel meant to work was really used.
struct Channel {
    name: &'static str,
    files: Vec<(&'static str, String)>,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    exits: &'static [i32],
}

impl Channel {
    fn new(name: &'static str, files: &[(&'static str, String)], args: &[&str]) -> Self {
        Self {
            name,
            files: files.to_vec(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            env: Vec::new(),
            exits: &[0, 1],
        }
    }

    fn env(mut self, key: &'static str, value: &str) -> Self {
        self.env.push((key, value.to_owned()));
        self
    }

    /// The one index the lock names cannot be used: `INDEX-UNREACHABLE` findings and exit 4
    /// (no index answered: a network failure, as the exit codes document).
    fn index_fails(mut self) -> Self {
        self.exits = &[4];
        self
    }

    /// A usage error: exit 2.
    fn fails(mut self) -> Self {
        self.exits = &[2];
        self
    }
}

fn requirements(index_lines: &str, sha: &str) -> String {
    format!("{index_lines}foo==1.0 \\\n    --hash=sha256:{sha}\n")
}

fn pipenv(source: &str, sha: &str) -> [(&'static str, String); 2] {
    let pipfile = format!(
        "[[source]]\nname = \"private\"\nurl = \"{source}\"\nverify_ssl = true\n\n[packages]\nfoo = \"*\"\n\n[dev-packages]\n\n[requires]\npython_version = \"3.11\"\n"
    );
    let table: toml::Table = toml::from_str(&pipfile).expect("the test's Pipfile");
    let value = serde_json::to_value(table).expect("json");
    let hash = provenance_checker::pipenv_hash::pipfile_hash(&value);
    let lock = serde_json::json!({
        "_meta": {
            "hash": {"sha256": hash},
            "pipfile-spec": 6,
            "requires": value["requires"],
            "sources": value["source"],
        },
        "default": {"foo": {"version": "==1.0", "hashes": [format!("sha256:{sha}")]}},
        "develop": {},
    });
    [
        ("Pipfile", pipfile),
        (
            "Pipfile.lock",
            serde_json::to_string_pretty(&lock).expect("json"),
        ),
    ]
}

fn channels(
    secret: &str,
    json: &TestIndex,
    html: &TestIndex,
    sink: &RecordingSink,
    dir: &Path,
) -> Vec<Channel> {
    let sha = TestFile::new("", WHEEL).sha256();
    let authed = with_userinfo(&json.url(), USER, secret);
    let authed_html = with_userinfo(&html.url(), USER, secret);
    let authed_origin = with_userinfo(&json.origin(), USER, secret);
    let plain_lock = requirements("", &sha);
    let pip_conf = dir.join("pip.conf");
    std::fs::write(&pip_conf, format!("[global]\nindex-url = {authed}\n")).expect("pip.conf");
    let netrc = dir.join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login {USER} password {secret}\n"),
    )
    .expect("netrc");
    let pylock = format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"foo\"\nversion = \"1.0\"\nindex = \"{authed}\"\n\n[[packages.wheels]]\nname = \"foo-1.0-py3-none-any.whl\"\nurl = \"{authed_origin}/files/foo-1.0-py3-none-any.whl\"\nhashes = {{sha256 = \"{sha}\"}}\n"
    );
    let pyproject = format!(
        "[tool.poetry]\nname = \"app\"\n\n[[tool.poetry.source]]\nname = \"priv\"\nurl = \"{authed}\"\npriority = \"primary\"\n"
    );
    let poetry = format!(
        "[[package]]\nname = \"foo\"\nversion = \"1.0\"\nfiles = [\n  {{file = \"foo-1.0-py3-none-any.whl\", hash = \"sha256:{sha}\"}},\n]\n\n[package.source]\ntype = \"legacy\"\nurl = \"{authed}\"\nreference = \"priv\"\n\n[metadata]\nlock-version = \"2.0\"\ncontent-hash = \"x\"\n"
    );
    let uv = format!(
        "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"foo\"\nversion = \"1.0\"\nsource = {{ registry = \"{authed}\" }}\nwheels = [\n  {{ url = \"{authed_origin}/files/foo-1.0-py3-none-any.whl\", hash = \"sha256:{sha}\", size = 1 }},\n]\n"
    );
    let index_lines = format!("--index-url {authed}\n--extra-index-url {authed_html}\n");
    let unreachable = with_userinfo("http://127.0.0.1:1/simple/", USER, secret);
    let wrong = with_userinfo(&json.url(), USER, &format!("{secret}-wrong"));
    let token = format!("{}?token={secret}", json.url());
    let http_sink = format!(
        "{}/upload?token={secret}",
        with_userinfo(&sink.origin(), "sink", secret)
    );
    let req = |text: String| [("requirements.txt", text)];
    let req_args = ["-l", "requirements.txt"];
    vec![
        Channel::new(
            "Pipfile.lock sources",
            &pipenv(&authed, &sha),
            &["-r", "Pipfile", "-l", "Pipfile.lock"],
        ),
        Channel::new(
            "-i whitelist list with user-info",
            &pipenv(&authed, &sha),
            &[
                "-r",
                "Pipfile",
                "-l",
                "Pipfile.lock",
                "-i",
                &format!("{authed},{authed_html}"),
            ],
        ),
        Channel::new(
            "THOTH_WHITELISTED_SOURCES",
            &pipenv(&authed, &sha),
            &["-r", "Pipfile", "-l", "Pipfile.lock"],
        )
        .env(
            "THOTH_WHITELISTED_SOURCES",
            &format!("{authed},{authed_html}"),
        ),
        Channel::new(
            "requirements.txt --index-url / --extra-index-url",
            &req(requirements(&index_lines, &sha)),
            &req_args,
        ),
        Channel::new(
            "requirements.txt given as content",
            &[],
            &[
                &format!("--requirements-locked={}", requirements(&index_lines, &sha)),
                "--format",
                "requirements",
            ],
        ),
        Channel::new(
            "lock content read as an option (usage error)",
            &[],
            &["-l", &requirements(&index_lines, &sha)],
        )
        .fails(),
        Channel::new(
            "pylock.toml index and wheel URL",
            &[("pylock.toml", pylock)],
            &["-l", "pylock.toml"],
        ),
        Channel::new(
            "poetry.lock and pyproject sources",
            &[("pyproject.toml", pyproject), ("poetry.lock", poetry)],
            &["-r", "pyproject.toml", "-l", "poetry.lock"],
        ),
        Channel::new(
            "uv.lock registry and artifact URLs",
            &[("uv.lock", uv)],
            &["-l", "uv.lock"],
        ),
        Channel::new(
            "PIP_INDEX_URL and PIP_EXTRA_INDEX_URL",
            &req(plain_lock.clone()),
            &req_args,
        )
        .env("PIP_INDEX_URL", &authed)
        .env("PIP_EXTRA_INDEX_URL", &authed_html),
        Channel::new(
            "pip.conf (PIP_CONFIG_FILE)",
            &req(plain_lock.clone()),
            &req_args,
        )
        .env("PIP_CONFIG_FILE", &pip_conf.display().to_string()),
        Channel::new(".netrc (NETRC)", &req(plain_lock.clone()), &req_args)
            .env("PIP_INDEX_URL", &json.url())
            .env("NETRC", &netrc.display().to_string()),
        Channel::new(
            "query token in the lock's index (401)",
            &req(requirements(&format!("--index-url {token}\n"), &sha)),
            &req_args,
        )
        .index_fails(),
        Channel::new(
            "wrong password (401)",
            &req(requirements(&format!("--index-url {wrong}\n"), &sha)),
            &req_args,
        )
        .index_fails(),
        Channel::new(
            "unreachable index with user-info",
            &req(requirements(&format!("--index-url {unreachable}\n"), &sha)),
            &req_args,
        )
        .index_fails(),
        Channel::new(
            "HTTP sink URL (-o)",
            &req(plain_lock.clone()),
            &["-l", "requirements.txt", "-o", &http_sink],
        )
        .env("PIP_INDEX_URL", &json.url())
        .env("NETRC", &netrc.display().to_string()),
        Channel::new(
            "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (-o s3://)",
            &req(plain_lock.clone()),
            &[
                "-l",
                "requirements.txt",
                "-o",
                "s3://canary-bucket/doc.json",
            ],
        )
        .env("PIP_INDEX_URL", &json.url())
        .env("NETRC", &netrc.display().to_string())
        .env("AWS_ACCESS_KEY_ID", "AKIDCANARYTEST")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", secret)
        .env("AWS_ENDPOINT_URL_S3", &sink.origin())
        .env("AWS_REGION", "us-east-1"),
    ]
}

#[test]
fn the_canary_reaches_no_output() {
    let secret = canary();
    let json = index(PageFormat::Json, &secret);
    let html = index(PageFormat::Html, &secret);
    let sink = RecordingSink::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let logs: [&[&str]; 2] = [&["-vvv"], &["-vv", "--log-format", "json"]];
    let mut leaks = Leaks::default();
    let mut unexpected = Vec::new();
    for (n, channel) in channels(&secret, &json, &html, &sink, dir.path())
        .into_iter()
        .enumerate()
    {
        let work = dir.path().join(format!("case-{n}"));
        std::fs::create_dir_all(&work).expect("mkdir");
        for (name, text) in &channel.files {
            std::fs::write(work.join(name), text).expect("write the lock");
        }
        for (run, log) in logs.iter().enumerate() {
            let case = format!("{} / {}", channel.name, log.join(" "));
            let mut cmd = clean_command(env!("CARGO_BIN_EXE_provenance-checker"), &work, None);
            cmd.current_dir(&work)
                .arg("provenance")
                .args(&channel.args)
                .args(*log);
            let file = work.join(format!("out-{run}.json"));
            if run == 1 && !channel.args.iter().any(|a| a == "-o") {
                cmd.arg("-o").arg(&file);
            }
            for (k, v) in &channel.env {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("the checker runs");
            leaks.check_output(&case, &secret, &out);
            if let Ok(bytes) = std::fs::read(&file) {
                leaks.check(&case, "-o file", &secret, &bytes);
            }
            for body in sink.take() {
                leaks.check(&case, "sink body", &secret, &body);
            }
            if !out
                .status
                .code()
                .is_some_and(|c| channel.exits.contains(&c))
            {
                unexpected.push(format!(
                    "{case}: exit {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                ));
            }
        }
    }
    leaks.assert_none();
    assert!(
        unexpected.is_empty(),
        "runs that did not end as meant: {unexpected:#?}"
    );
}
