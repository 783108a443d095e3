//! The canary suite (issue 13): one random secret, the password of a registry on loopback
//! (Debian's `docker-registry` with htpasswd), fed through every credential channel
//! package-extract has — `-c USER:PASSWORD`, `THOTH_REGISTRY_CREDENTIALS`, a containers auth
//! file (`REGISTRY_AUTH_FILE`), a docker config `auths` entry, a docker credential helper
//! (`docker-credential-canary` on `PATH`), user-info in the image reference, the HTTP sink's
//! URL, `AWS_*` for `-o s3://` — in every output format (Thoth document, CycloneDX, SPDX), with
//! `-vvv` text logs and `-vv --log-format json` logs, on success and failure paths (401, an
//! unreachable registry, a bad reference). The canary must be in no byte of stdout, stderr,
//! the `-o` file or a sink's body.

mod support;

use std::path::Path;

use base64::Engine as _;
use common::canary::{Leaks, RecordingSink, canary, clean_command, credential_helper};
use support::Registry;

const USER: &str = "canary-user";
const FORMATS: [&str; 3] = ["thoth", "cyclonedx-json", "spdx-json"];
const LOGS: [&[&str]; 2] = [&["-vvv"], &["-vv", "--log-format", "json"]];

struct Channel {
    name: &'static str,
    image: String,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// A directory put first on `PATH` (where the credential helper is).
    path: Option<std::path::PathBuf>,
    succeeds: bool,
    /// Every format with every log style; the other channels run once each, format and log
    /// style taken in turn (a pull costs a second or more).
    every_format: bool,
}

impl Channel {
    fn new(name: &'static str, image: &str, args: &[&str]) -> Self {
        Self {
            name,
            image: image.to_owned(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            env: Vec::new(),
            path: None,
            succeeds: true,
            every_format: false,
        }
    }

    fn env(mut self, key: &'static str, value: &str) -> Self {
        self.env.push((key, value.to_owned()));
        self
    }

    fn fails(mut self) -> Self {
        self.succeeds = false;
        self
    }
}

fn channels(secret: &str, registry: &Registry, sink: &RecordingSink, dir: &Path) -> Vec<Channel> {
    let image = format!("docker://{}/sample:1.0", registry.addr);
    let pair = format!("{USER}:{secret}");
    let auth = base64::engine::general_purpose::STANDARD.encode(&pair);
    let auth_file = dir.join("auth.json");
    std::fs::write(
        &auth_file,
        format!(
            "{{\"auths\": {{\"{}\": {{\"auth\": \"{auth}\"}}}}}}",
            registry.addr
        ),
    )
    .expect("auth.json");
    let docker_config = dir.join("docker-auths");
    std::fs::create_dir_all(&docker_config).expect("mkdir");
    std::fs::write(
        docker_config.join("config.json"),
        format!(
            "{{\"auths\": {{\"{}\": {{\"auth\": \"{auth}\"}}}}}}",
            registry.addr
        ),
    )
    .expect("config.json");
    let helper_dir = dir.join("docker-helper");
    std::fs::create_dir_all(&helper_dir).expect("mkdir");
    credential_helper(&helper_dir, &registry.addr, USER, secret);
    let with_userinfo = format!("docker://{pair}@{}/sample:1.0", registry.addr);
    let schemeless = format!("{pair}@{}/sample:1.0", registry.addr);
    let wrong = format!("{USER}:{secret}-wrong");
    let unreachable = "docker://127.0.0.1:1/sample:1.0";
    let http_sink = format!(
        "http://sink:{secret}@{}/upload?token={secret}",
        sink.authority()
    );
    vec![
        Channel {
            every_format: true,
            ..Channel::new("-c USER:PASSWORD", &image, &["-c", &pair])
        },
        Channel::new("THOTH_REGISTRY_CREDENTIALS", &image, &[])
            .env("THOTH_REGISTRY_CREDENTIALS", &pair),
        Channel::new("containers auth file (REGISTRY_AUTH_FILE)", &image, &[])
            .env("REGISTRY_AUTH_FILE", &auth_file.display().to_string()),
        Channel::new("docker config auths (DOCKER_CONFIG)", &image, &[])
            .env("DOCKER_CONFIG", &docker_config.display().to_string()),
        Channel {
            path: Some(helper_dir.clone()),
            ..Channel::new("docker credential helper", &image, &[])
                .env("DOCKER_CONFIG", &helper_dir.display().to_string())
        },
        Channel::new("user-info in docker:// reference", &with_userinfo, &[]).fails(),
        Channel::new("user-info in a bare reference", &schemeless, &[]).fails(),
        Channel::new("wrong password (401)", &image, &["-c", &wrong]).fails(),
        Channel::new("unreachable registry with -c", unreachable, &["-c", &pair]).fails(),
        Channel::new(
            "HTTP sink URL (-o)",
            &image,
            &["-c", &pair, "-o", &http_sink],
        ),
        Channel::new(
            "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (-o s3://)",
            &image,
            &["-c", &pair, "-o", "s3://canary-bucket/doc.json"],
        )
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
    let registry = Registry::start(Some((USER, &secret)));
    registry.push(
        &format!("oci:{}:latest", support::sample_layout().display()),
        "sample:1.0",
        &[],
    );
    let sink = RecordingSink::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut leaks = Leaks::default();
    let mut unexpected = Vec::new();
    let mut run = 0usize;
    for channel in channels(&secret, &registry, &sink, dir.path()) {
        let pairs: Vec<(&str, &[&str])> = if channel.every_format {
            FORMATS
                .iter()
                .flat_map(|f| LOGS.iter().map(move |l| (*f, *l)))
                .collect()
        } else {
            vec![(FORMATS[run % 3], LOGS[run % 2])]
        };
        for (format, log) in pairs {
            run += 1;
            let case = format!("{} / {format} / {}", channel.name, log.join(" "));
            let home = dir.path().join(format!("home-{run}"));
            std::fs::create_dir_all(&home).expect("home");
            let mut cmd = clean_command(
                env!("CARGO_BIN_EXE_package-extract"),
                &home,
                channel.path.as_deref(),
            );
            cmd.args([
                "extract-image",
                "-i",
                &channel.image,
                "--format",
                format,
                "-t",
                "60",
                "--no-python-files",
            ])
            .args(&channel.args)
            .args(log);
            let file = dir.path().join(format!("out-{run}.json"));
            if run % 3 == 0 && !channel.args.iter().any(|a| a == "-o") {
                cmd.arg("-o").arg(&file);
            }
            for (k, v) in &channel.env {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("package-extract runs");
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
