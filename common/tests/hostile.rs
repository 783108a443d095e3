//! The index client and the output sinks against hostile servers on loopback, one test per
//! attack: huge, endless and dripping answers, error answers with huge bodies, rate limits,
//! credentials steered to another origin. The memory tests run a real process on the shared
//! harness (`examples/index_fetch.rs`, `examples/harness.rs`) and assert its exit code, its
//! failure document and its peak memory.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::hostile::{Attack, HostileServer, measure};
use common::http::RetryPolicy;
use common::index::{
    ByteRange, INFLIGHT_ENV, IndexClient, IndexClientOptions, IndexError, IndexLimits,
    METADATA_ENV, Netrc, PAGE_ENV, PageRequest,
};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
/// The bound on peak memory for every network attack.
const PEAK_RSS_BOUND_MIB: u64 = 256;

fn options() -> IndexClientOptions {
    IndexClientOptions {
        retry: RetryPolicy {
            backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        netrc: None,
        limits: IndexLimits::default(),
        ..IndexClientOptions::default()
    }
}

fn client() -> IndexClient {
    IndexClient::new(options()).expect("client")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn too_large(err: &IndexError) -> &common::http::BodyTooLarge {
    match err {
        IndexError::TooLarge(e) => e,
        other => panic!("expected a body over its cap, got {other:?}"),
    }
}

#[test]
fn a_declared_2_gib_page_is_refused_before_a_byte_is_read() {
    let server = HostileServer::start();
    server.on(
        "/simple/foo/",
        Attack::Huge {
            len: 2 * GIB,
            declared: true,
        },
    );
    let c = client();
    let err = runtime()
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect_err("over the cap");
    let e = too_large(&err);
    assert_eq!(e.declared, Some(2 * GIB));
    assert_eq!(e.limit, IndexLimits::default().page);
    assert_eq!(e.option, Some(PAGE_ENV));
    assert!(err.to_string().contains(PAGE_ENV), "{err}");
    assert!(err.is_unreachable());
    assert_eq!(
        c.requests_made(),
        1,
        "a body over its cap is not asked again"
    );
}

#[test]
fn an_undeclared_2_gib_page_stops_at_the_cap() {
    let server = HostileServer::start();
    server.on(
        "/simple/foo/",
        Attack::Huge {
            len: 2 * GIB,
            declared: false,
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            page: MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let err = runtime()
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect_err("over the cap");
    let e = too_large(&err);
    assert_eq!((e.declared, e.limit), (None, MIB));
}

#[test]
fn an_endless_page_stops_at_the_cap() {
    let server = HostileServer::start();
    server.on("/simple/foo/", Attack::Endless);
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            page: 2 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let err = runtime()
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect_err("over the cap");
    assert_eq!(too_large(&err).limit, 2 * MIB);
}

#[test]
fn sixteen_pages_in_flight_never_hold_more_than_the_budget_together() {
    let server = HostileServer::start();
    let requests: Vec<PageRequest> = (0..16)
        .map(|i| {
            let project = format!("p{i}");
            // Undeclared lengths: each reserves its whole cap (4 MiB) until it is read.
            server.on(
                &format!("/simple/{project}/"),
                Attack::Huge {
                    len: 3 * MIB,
                    declared: i % 2 == 0,
                },
            );
            PageRequest {
                index_url: server.url("/simple/"),
                project,
            }
        })
        .collect();
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            page: 4 * MIB,
            inflight: 10 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let answers = runtime().block_on(c.project_pages(requests));
    assert_eq!(answers.len(), 16);
    for (request, answer) in &answers {
        // The bodies are not pages (`Malformed` or an empty page), but none was over a cap.
        if let Err(e) = answer {
            assert!(
                !matches!(e, IndexError::TooLarge(_)),
                "{}: {e}",
                request.project
            );
        }
    }
    assert_eq!(c.requests_made(), 16);
    let peak = c.peak_inflight_bytes();
    assert!(peak <= 10 * MIB, "held {peak} bytes at once");
    assert!(peak >= 3 * MIB, "the budget was used: {peak}");
}

#[test]
fn a_page_of_tiny_links_stops_once_its_files_outgrow_the_page() {
    // 4 MiB of 40-byte links, declared: the page reserves 16 times its size from the budget
    // for its parsed files and stops at the link that goes over.
    let server = HostileServer::start();
    server.on(
        "/simple/tiny/",
        Attack::Huge {
            len: 4 * MIB,
            declared: true,
        },
    );
    // Undeclared: the body's whole cap was reserved; what the body leaves of it is the room.
    server.on(
        "/simple/undeclared/",
        Attack::Huge {
            len: 30 * MIB,
            declared: false,
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            page: 32 * MIB,
            inflight: 40 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    for (project, most) in [("tiny", 36 * MIB), ("undeclared", 2 * MIB)] {
        let err = runtime()
            .block_on(c.project_page(&server.url("/simple/"), project))
            .expect_err("refused");
        let IndexError::PageTooLarge { files, limit, .. } = &err else {
            panic!("{project}: expected a page over its room, got {err:?}");
        };
        assert!(*limit as u64 <= most, "{project}: room {limit}");
        assert!(*files > 1_000, "{project}: {files} files read first");
        assert!(
            err.is_unreachable(),
            "the page says nothing about the project"
        );
        let message = common::error::AnalyzerError::from(err.clone()).to_string();
        assert!(message.contains(INFLIGHT_ENV), "{message}");
    }
    assert!(c.peak_inflight_bytes() <= 40 * MIB);
    // The same page with room for it: 4 MiB of links is ~100,000 files.
    let roomy = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            inflight: 256 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let page = runtime()
        .block_on(roomy.project_page(&server.url("/simple/"), "tiny"))
        .expect("fits 16 times its size");
    assert!(page.files.len() >= 100_000, "{} files", page.files.len());
}

#[test]
fn one_body_over_the_whole_budget_fails_naming_the_budget() {
    let server = HostileServer::start();
    server.on(
        "/simple/undeclared/",
        Attack::Huge {
            len: 3 * MIB,
            declared: false,
        },
    );
    server.on(
        "/simple/declared/",
        Attack::Huge {
            len: 3 * MIB,
            declared: true,
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            page: 4 * MIB,
            inflight: 2 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let rt = runtime();
    for (project, declared) in [("undeclared", None), ("declared", Some(3 * MIB))] {
        let err = rt
            .block_on(c.project_page(&server.url("/simple/"), project))
            .expect_err("over the budget");
        let e = too_large(&err);
        assert_eq!((e.limit, e.declared), (2 * MIB, declared), "{project}");
        assert_eq!(e.option, Some(INFLIGHT_ENV));
        let text = err.to_string();
        assert!(text.contains(INFLIGHT_ENV), "{text}");
        assert!(
            text.contains("all the bodies a client holds at once"),
            "{text}"
        );
    }
    assert!(c.peak_inflight_bytes() <= 2 * MIB);
}

#[test]
fn a_dripping_page_fails_at_the_request_timeout() {
    let server = HostileServer::start();
    server.on(
        "/simple/foo/",
        Attack::Drip {
            len: 1000,
            interval: Duration::from_secs(1),
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        retry: RetryPolicy {
            retries: 1,
            ..options().retry
        },
        timeouts: common::http::Timeouts {
            total: Duration::from_secs(2),
            ..common::http::Timeouts::INDEX
        },
        ..options()
    })
    .expect("client");
    let err = runtime()
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect_err("times out");
    assert!(
        matches!(&err, IndexError::Unreachable { message, .. } if message.contains("after 2 attempts")),
        "{err:?}"
    );
    assert_eq!(c.requests_made(), 2, "a timeout is retried");
}

/// A page (JSON) whose one file has a metadata file and a declared size; both live on `files`.
fn page_linking(files: &str) -> Attack {
    let body = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "foo",
        "files": [{
            "filename": "foo-1.0-py3-none-any.whl",
            "url": format!("{files}/foo-1.0-py3-none-any.whl"),
            "hashes": {},
            "core-metadata": true,
            "size": 100,
        }],
    });
    Attack::Ok {
        content_type: common::index::JSON_CONTENT_TYPE.into(),
        body: body.to_string().into_bytes(),
    }
}

#[test]
fn metadata_files_downloads_and_ranges_are_capped() {
    let server = HostileServer::start();
    server.on("/simple/foo/", page_linking(&server.url("/files")));
    server.on(
        "/files/foo-1.0-py3-none-any.whl.metadata",
        Attack::Huge {
            len: 2 * GIB,
            declared: false,
        },
    );
    server.on(
        "/files/foo-1.0-py3-none-any.whl",
        Attack::Huge {
            len: 2 * GIB,
            declared: false,
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        limits: IndexLimits {
            metadata: MIB,
            file: 4 * MIB,
            ..IndexLimits::default()
        },
        ..options()
    })
    .expect("client");
    let rt = runtime();
    let page = rt
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect("page");
    let file = &page.files[0];
    assert_eq!(file.size, Some(100));

    let err = rt
        .block_on(c.fetch_core_metadata_bytes(file))
        .expect_err("metadata over its cap");
    assert_eq!(too_large(&err).option, Some(METADATA_ENV));

    let err = rt
        .block_on(c.download(file, 256 * MIB))
        .expect_err("more than the page declared");
    let e = too_large(&err);
    assert_eq!(
        e.limit, 100,
        "the size the page declared bounds the download"
    );

    // A server that ignores the range sends the whole (endless) file: the file cap holds.
    let err = rt
        .block_on(c.fetch_range(&file.url, ByteRange::Suffix(10)))
        .expect_err("whole file over the cap");
    assert_eq!(too_large(&err).limit, 4 * MIB);
}

#[test]
fn a_partial_answer_never_exceeds_the_range_asked_for() {
    let server = HostileServer::start();
    server.on(
        "/files/x.whl",
        Attack::Partial {
            len: 10 * MIB,
            content_range: "bytes 0-99/100".into(),
        },
    );
    let err = runtime()
        .block_on(client().fetch_range(&server.url("/files/x.whl"), ByteRange::Suffix(100)))
        .expect_err("more than asked for");
    let e = too_large(&err);
    assert_eq!((e.limit, e.option), (100, None));
}

#[test]
fn rate_limits_are_waited_out_as_the_server_asks() {
    let server = HostileServer::start();
    let link =
        |name: &str| format!("<a href=\"/f/{name}-1.0.tar.gz\">{name}-1.0.tar.gz</a>").into_bytes();
    server.on(
        "/simple/foo/",
        Attack::RetryAfter {
            status: 429,
            value: "1".into(),
            times: 1,
            body: link("foo"),
        },
    );
    // An HTTP-date a second from now (rounded down to the second: at most a second).
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    server.on(
        "/simple/bar/",
        Attack::RetryAfter {
            status: 503,
            value: date,
            times: 1,
            body: link("bar"),
        },
    );
    server.on(
        "/simple/baz/",
        Attack::RetryAfter {
            status: 429,
            value: "3600".into(),
            times: 1,
            body: link("baz"),
        },
    );
    let c = client();
    let rt = runtime();
    let started = std::time::Instant::now();
    let foo = rt
        .block_on(c.project_page(&server.url("/simple/"), "foo"))
        .expect("second attempt succeeds");
    assert_eq!(foo.files.len(), 1);
    // The backoff alone (5 ms) would have retried at once: the wait is the server's.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(c.requests_made(), 2);
    rt.block_on(c.project_page(&server.url("/simple/"), "bar"))
        .expect("a 503 with an HTTP-date is waited out too");
    assert_eq!(c.requests_made(), 4);

    let err = rt
        .block_on(c.project_page(&server.url("/simple/"), "baz"))
        .expect_err("an hour is longer than the cap");
    assert!(
        matches!(err, IndexError::Status { status: 429, .. }),
        "{err:?}"
    );
    assert_eq!(c.requests_made(), 5, "a wait over the cap is not made");
}

#[test]
fn credentials_never_follow_a_redirect_to_another_origin() {
    let index = HostileServer::start();
    let elsewhere = HostileServer::start();
    elsewhere.on(
        "/simple/foo/",
        Attack::Ok {
            content_type: "text/html".into(),
            body: b"<a href=\"foo-1.0.tar.gz\">foo-1.0.tar.gz</a>".to_vec(),
        },
    );
    index.on(
        "/simple/foo/",
        Attack::Redirect {
            status: 302,
            location: elsewhere.url("/simple/foo/"),
        },
    );
    let with_auth = index
        .url("/simple/")
        .replace("http://", "http://alice:canary-s3cret@");
    let c = IndexClient::new(IndexClientOptions {
        netrc: Some(Netrc::parse("default login bob password canary-netrc\n")),
        ..options()
    })
    .expect("client");
    let page = runtime()
        .block_on(c.project_page(&with_auth, "foo"))
        .expect("followed");
    assert_eq!(page.files.len(), 1);
    let asked = index.requests();
    assert!(
        asked[0]
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic ")),
        "the index itself gets its credentials"
    );
    let followed = elsewhere.requests();
    assert_eq!(followed.len(), 1);
    assert_eq!(
        followed[0].header("authorization"),
        None,
        "{:?}",
        followed[0]
    );
}

#[test]
fn netrc_and_index_credentials_stay_on_the_index_origin() {
    let index = HostileServer::start();
    let cdn = HostileServer::start();
    index.on("/simple/foo/", page_linking(&cdn.url("/files")));
    cdn.on(
        "/files/foo-1.0-py3-none-any.whl.metadata",
        Attack::Ok {
            content_type: "text/plain".into(),
            body: b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\n".to_vec(),
        },
    );
    let c = IndexClient::new(IndexClientOptions {
        netrc: Some(Netrc::parse(
            "machine 127.0.0.1 login bob password canary-netrc\n",
        )),
        ..options()
    })
    .expect("client");
    let rt = runtime();
    let page = rt
        .block_on(c.project_page(&index.url("/simple/"), "foo"))
        .expect("page");
    rt.block_on(c.fetch_core_metadata_bytes(&page.files[0]))
        .expect("metadata from the other origin");
    assert!(
        index.requests()[0].header("authorization").is_some(),
        ".netrc applies to the configured index"
    );
    assert_eq!(
        cdn.requests()[0].header("authorization"),
        None,
        "same host, another port: another origin, no .netrc"
    );
}

#[test]
fn names_from_lock_files_never_choose_the_host_or_the_path() {
    let index = HostileServer::start();
    let target = HostileServer::start();
    let c = IndexClient::new(IndexClientOptions {
        netrc: Some(Netrc::parse("default login bob password canary-netrc\n")),
        ..options()
    })
    .expect("client");
    let rt = runtime();
    let port = target
        .origin()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    for name in [
        format!("//2130706433:{port}/x"),
        format!("//127.0.0.1:{port}/x"),
        "%2e%2e/%2e%2e/x".to_owned(),
        "../x".to_owned(),
    ] {
        let err = rt
            .block_on(c.project_page(&index.url("/simple/"), &name))
            .expect_err("not a name");
        assert!(matches!(err, IndexError::InvalidName { .. }), "{err:?}");
        let analyzer: common::AnalyzerError = err.into();
        assert_eq!(analyzer.kind, common::ErrorKind::Input);
    }
    assert!(index.requests().is_empty(), "{:?}", index.requests());
    assert!(target.requests().is_empty(), "{:?}", target.requests());
    assert_eq!(c.requests_made(), 0);
}

#[test]
fn the_http_sink_reads_little_of_a_huge_error_answer() {
    let server = HostileServer::start();
    server.on(
        "/sink",
        Attack::ErrorBody {
            status: 500,
            len: 3 * GIB,
        },
    );
    server.on(
        "/limited",
        Attack::RetryAfter {
            status: 429,
            value: "1".into(),
            times: 1,
            body: Vec::new(),
        },
    );
    let policy = common::output::RetryPolicy {
        retry: RetryPolicy {
            retries: 1,
            backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..common::output::RetryPolicy::default()
    };
    let err =
        common::output::post_json(&server.url("/sink"), "{}", &policy).expect_err("500 twice");
    assert_eq!(err.kind, common::ErrorKind::Network);
    assert!(err.message.contains("500"), "{}", err.message);
    assert!(
        err.hint
            .as_deref()
            .unwrap_or_default()
            .contains("gave up after 2 attempts"),
        "{:?}",
        err.hint
    );
    assert_eq!(server.requests().len(), 2);

    common::output::post_json(&server.url("/limited"), "{}", &policy)
        .expect("a 429 is waited out, then the POST succeeds");
    assert_eq!(server.requests().len(), 4);
}

/// Target directory of this test binary's profile (examples are built beside it).
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let path: PathBuf = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: cargo test builds examples",
        path.display()
    );
    let mut cmd = Command::new(path);
    for var in [
        "RUST_LOG",
        PAGE_ENV,
        "NETRC",
        "THOTH_HARNESS_OUTPUT",
        "THOTH_INDEX_FETCH_OUTPUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", std::env::temp_dir());
    cmd
}

fn assert_network_failure(measured: &common::hostile::Measured, what: &str, needle: &str) {
    let stderr = String::from_utf8_lossy(&measured.output.stderr);
    assert_eq!(
        measured.output.status.code(),
        Some(4),
        "{what}: exit code; stderr: {stderr}"
    );
    assert!(
        measured.peak_rss_mib() < PEAK_RSS_BOUND_MIB,
        "{what}: peak RSS {} MiB",
        measured.peak_rss_mib()
    );
    assert!(stderr.contains(needle), "{what}: stderr: {stderr}");
    eprintln!(
        "{what}: exit 4, peak RSS {} MiB, {:.1} s",
        measured.peak_rss_mib(),
        measured.wall.as_secs_f64()
    );
}

#[test]
fn a_child_reading_a_2_gib_or_endless_page_stays_small_and_exits_4() {
    let server = HostileServer::start();
    server.on(
        "/simple/huge/",
        Attack::Huge {
            len: 2 * GIB,
            declared: false,
        },
    );
    server.on("/simple/endless/", Attack::Endless);
    for project in ["huge", "endless"] {
        let mut cmd = example("index_fetch");
        cmd.args([
            "page",
            "--index",
            &server.url("/simple/"),
            "--project",
            project,
        ]);
        let measured = measure(&cmd);
        assert_network_failure(&measured, project, PAGE_ENV);
        let doc = measured.document();
        assert_eq!(doc["result"]["error_kind"], "network", "{doc}");
        assert!(
            doc["result"]["error_msg"]
                .as_str()
                .unwrap_or_default()
                .contains(PAGE_ENV),
            "{doc}"
        );
    }
}

#[test]
fn a_child_reading_twelve_60_mib_pages_of_tiny_links_at_once_stays_small_and_exits_4() {
    // Each page would parse into 1.6 million files (~900 MB); together they once took 14.8 GB.
    // Half declare their length (each then reserves the whole budget: body and parse room),
    // half do not (each reserves the page cap; its parse gets what the body leaves of it).
    let server = HostileServer::start();
    let mut cmd = example("index_fetch");
    cmd.args(["page", "--index", &server.url("/simple/")]);
    for i in 0..12 {
        server.on(
            &format!("/simple/p{i}/"),
            Attack::Huge {
                len: 60 * MIB,
                declared: i % 2 == 0,
            },
        );
        cmd.args(["--project", &format!("p{i}")]);
    }
    let measured = measure(&cmd);
    assert_network_failure(&measured, "twelve pages of tiny links", INFLIGHT_ENV);
    let doc = measured.document();
    assert_eq!(doc["result"]["error_kind"], "network", "{doc}");
}

#[test]
fn a_child_posting_to_a_sink_answering_500_with_3_gib_stays_small_and_exits_4() {
    let server = HostileServer::start();
    server.on(
        "/sink",
        Attack::ErrorBody {
            status: 500,
            len: 3 * GIB,
        },
    );
    let mut cmd = example("harness");
    cmd.args(["run", "-o", &server.url("/sink")]);
    let measured = measure(&cmd);
    assert_network_failure(&measured, "HTTP sink", "500");
    assert_eq!(server.requests().len(), 4, "one attempt and three retries");
}

#[test]
fn a_child_putting_to_an_s3_endpoint_answering_500_with_3_gib_stays_small_and_exits_4() {
    let server = HostileServer::start();
    server.on(
        "/bucket/key",
        Attack::ErrorBody {
            status: 500,
            len: 3 * GIB,
        },
    );
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = example("harness");
    cmd.args(["run", "-o", "s3://bucket/key"])
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL", server.origin())
        .env("AWS_ACCESS_KEY_ID", "AKIDCANARY")
        .env("AWS_SECRET_ACCESS_KEY", "canary-secret-key")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"));
    let measured = measure(&cmd);
    assert_network_failure(&measured, "S3 sink", "500");
    assert_eq!(server.requests().len(), 4, "one attempt and three retries");
}
