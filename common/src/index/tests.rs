//! The client against real HTTP servers on loopback: the project's test index (JSON with
//! content negotiation, or HTML) and Python's `http.server` over a static PEP 503 tree.

use std::time::Duration;

use super::*;
use crate::testindex::{PageFormat, TestFile, TestIndex};

const METADATA: &[u8] =
    b"Metadata-Version: 2.1\nName: foo\nVersion: 1.1\nRequires-Dist: bar>=1\n\n";

fn options() -> IndexClientOptions {
    IndexClientOptions {
        retry: crate::http::RetryPolicy {
            backoff: Duration::from_millis(10),
            ..crate::http::RetryPolicy::default()
        },
        netrc: None,
        ..IndexClientOptions::default()
    }
}

fn client() -> IndexClient {
    IndexClient::new(options()).expect("client")
}

fn publish(index: &TestIndex) {
    index.add_project(
        "Foo",
        vec![
            TestFile {
                requires_python: Some(">=3.8,<4".into()),
                ..TestFile::new("foo-1.0.tar.gz", b"sdist 1.0")
            },
            TestFile {
                yanked: Some("broken <build>".into()),
                metadata: Some(METADATA.to_vec()),
                ..TestFile::new("foo-1.1-py3-none-any.whl", b"wheel 1.1")
            },
            TestFile {
                yanked: Some(String::new()),
                url: Some("http://127.0.0.2:9/elsewhere/foo-1.2-py3-none-any.whl".into()),
                ..TestFile::new("foo-1.2-py3-none-any.whl", b"wheel 1.2")
            },
        ],
    );
}

async fn check_page(index: &TestIndex) {
    let page = client()
        .project_page(&index.url(), "FOO")
        .await
        .expect("page");
    assert_eq!(page.name, "foo");
    assert_eq!(page.url, format!("{}foo/", index.url()));
    assert_eq!(page.files.len(), 3, "{:#?}", page.files);
    let sdist = &page.files[0];
    assert_eq!(
        &*sdist.url,
        format!("{}/files/foo-1.0.tar.gz", index.origin()),
        "relative link resolved"
    );
    assert_eq!(
        sdist.sha256(),
        Some(TestFile::new("", b"sdist 1.0").sha256().as_str())
    );
    assert_eq!(sdist.requires_python.as_deref(), Some(">=3.8,<4"));
    assert!(matches!(sdist.distribution, Distribution::Sdist(_)));
    assert_eq!(sdist.yanked, None);
    let wheel = &page.files[1];
    assert_eq!(
        wheel.yanked,
        Some(Yanked {
            reason: Some("broken <build>".into())
        })
    );
    assert!(matches!(wheel.distribution, Distribution::Wheel(_)));
    let metadata = client().fetch_core_metadata(wheel).await.expect("metadata");
    assert_eq!(metadata.version(), Some("1.1"));
    assert_eq!(metadata.requires_dist(), ["bar>=1"]);
    let far = &page.files[2];
    assert_eq!(
        &*far.url, "http://127.0.0.2:9/elsewhere/foo-1.2-py3-none-any.whl",
        "absolute link kept"
    );
    assert_eq!(far.yanked, Some(Yanked { reason: None }));
    assert_eq!(far.core_metadata, None);
    let versions: Vec<String> = page.versions().iter().map(ToString::to_string).collect();
    assert_eq!(versions, ["1.0", "1.1", "1.2"]);
}

#[tokio::test]
async fn json_index_pages() {
    let index = TestIndex::start(PageFormat::Json);
    publish(&index);
    check_page(&index).await;
}

#[tokio::test]
async fn html_index_pages() {
    let index = TestIndex::start(PageFormat::Html);
    publish(&index);
    check_page(&index).await;
}

#[tokio::test]
async fn content_negotiation_prefers_json_and_takes_html() {
    let index = TestIndex::start(PageFormat::Json);
    index.route(
        "/simple/plain/",
        200,
        "text/html",
        b"<a href=\"/f/plain-2.0.zip#sha256=ff\">plain-2.0.zip</a>",
    );
    let page = client()
        .project_page(&index.url(), "plain")
        .await
        .expect("html page");
    assert_eq!(
        &*page.files[0].url,
        format!("{}/f/plain-2.0.zip", index.origin())
    );
    index.route("/simple/bad/", 200, JSON_CONTENT_TYPE, b"{\"files\": 3}");
    let err = client()
        .project_page(&index.url(), "bad")
        .await
        .expect_err("malformed");
    assert!(matches!(err, IndexError::Malformed { .. }), "{err}");
}

#[tokio::test]
async fn missing_projects_and_unreachable_indexes_differ() {
    let index = TestIndex::start(PageFormat::Json);
    let err = client()
        .project_page(&index.url(), "nothing")
        .await
        .expect_err("404");
    assert!(err.is_not_found() && !err.is_unreachable(), "{err}");
    // Nothing listens on port 1.
    let c = IndexClient::new(IndexClientOptions {
        retry: crate::http::RetryPolicy {
            retries: 1,
            ..options().retry
        },
        ..options()
    })
    .expect("client");
    let err = c
        .project_page("http://127.0.0.1:1/simple/", "foo")
        .await
        .expect_err("refused");
    assert!(err.is_unreachable() && !err.is_not_found(), "{err}");
    assert!(err.to_string().contains("after 2 attempts"), "{err}");
    assert_eq!(c.requests_made(), 2);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let index = TestIndex::start(PageFormat::Json);
    publish(&index);
    index.fail("/simple/foo/", 2, 503);
    let c = client();
    let page = c
        .project_page(&index.url(), "foo")
        .await
        .expect("third attempt succeeds");
    assert_eq!(page.files.len(), 3);
    assert_eq!(c.requests_made(), 3);

    index.fail("/simple/foo/", 10, 500);
    let err = c
        .project_page(&index.url(), "foo")
        .await
        .expect_err("gives up");
    assert_eq!(
        err,
        IndexError::Status {
            url: format!("{}foo/", index.url()),
            status: 500
        }
    );
    assert_eq!(c.requests_made(), 3 + 4, "one attempt and three retries");

    index.fail("/simple/foo/", 1, 403);
    let err = c
        .project_page(&index.url(), "foo")
        .await
        .expect_err("4xx is final");
    assert_eq!(
        err,
        IndexError::Status {
            url: format!("{}foo/", index.url()),
            status: 403
        }
    );
    assert_eq!(c.requests_made(), 8);
}

#[tokio::test]
async fn credentials_from_the_url_reach_pages_and_files_but_no_message() {
    let index = TestIndex::start(PageFormat::Json);
    publish(&index);
    index.require_auth("alice", "s3cr:et");
    let c = client();
    let err = c.project_page(&index.url(), "foo").await.expect_err("401");
    assert!(
        matches!(err, IndexError::Status { status: 401, .. }),
        "{err}"
    );
    let with_auth = index.url().replace("http://", "http://alice:s3cr%3Aet@");
    let page = c.project_page(&with_auth, "foo").await.expect("authorised");
    assert!(!page.url.contains("s3cr"), "{}", page.url);
    // The metadata file is on the same host: the index's credentials go with it.
    c.fetch_core_metadata(&page.files[1])
        .await
        .expect("metadata with the same credentials");

    index.fail("/simple/foo/", 1, 404);
    let err = IndexClient::new(options())
        .expect("client")
        .project_page(&with_auth, "foo")
        .await
        .expect_err("404");
    assert!(!err.to_string().contains("s3cr"), "{err}");
}

#[tokio::test]
async fn credentials_from_netrc() {
    let index = TestIndex::start(PageFormat::Html);
    publish(&index);
    index.require_auth("bob", "pw");
    let netrc = Netrc::parse("machine 127.0.0.1 login bob password pw\n");
    let c = IndexClient::new(IndexClientOptions {
        netrc: Some(netrc),
        ..options()
    })
    .expect("client");
    c.project_page(&index.url(), "foo")
        .await
        .expect("netrc credentials");
}

#[tokio::test]
async fn metadata_digest_is_checked() {
    let index = TestIndex::start(PageFormat::Json);
    publish(&index);
    index.route(
        "/files/foo-1.1-py3-none-any.whl.metadata",
        200,
        "text/plain",
        b"Metadata-Version: 2.1\nName: evil\n",
    );
    let c = client();
    let page = c.project_page(&index.url(), "foo").await.expect("page");
    let err = c
        .fetch_core_metadata(&page.files[1])
        .await
        .expect_err("digest mismatch");
    assert!(matches!(err, IndexError::Digest { .. }), "{err}");
    let err = c
        .fetch_core_metadata(&page.files[0])
        .await
        .expect_err("no metadata file");
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn many_pages_concurrently_in_request_order() {
    let index = TestIndex::start(PageFormat::Json);
    for i in 0..40 {
        index.add_project(
            &format!("p{i}"),
            vec![TestFile::new(&format!("p{i}-1.0.tar.gz"), b"x")],
        );
    }
    let c = IndexClient::new(IndexClientOptions {
        concurrency: 4,
        ..options()
    })
    .expect("client");
    let requests: Vec<PageRequest> = (0..41)
        .map(|i| PageRequest {
            index_url: index.url(),
            project: format!("p{i}"),
        })
        .collect();
    let answers = c.project_pages(requests.clone()).await;
    assert_eq!(answers.len(), 41);
    for (i, (request, page)) in answers.iter().enumerate() {
        assert_eq!(request, &requests[i]);
        if i < 40 {
            assert_eq!(
                &*page.as_ref().expect("page").files[0].filename,
                format!("p{i}-1.0.tar.gz")
            );
        } else {
            assert!(page.as_ref().expect_err("p40 is not there").is_not_found());
        }
    }
    assert_eq!(c.requests_made(), 41);
}

/// A static PEP 503 tree served by Python's `http.server`, as users serve a directory.
#[tokio::test]
async fn static_tree_served_by_python() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("simple/foo")).expect("mkdir");
    std::fs::create_dir_all(root.join("files")).expect("mkdir");
    std::fs::write(root.join("files/foo-1.0-py3-none-any.whl"), b"wheel").expect("write");
    std::fs::write(
        root.join("files/foo-1.0-py3-none-any.whl.metadata"),
        METADATA,
    )
    .expect("write");
    let digest = TestFile::new("", b"wheel").sha256();
    let meta = TestFile::new("", METADATA).sha256();
    std::fs::write(
        root.join("simple/foo/index.html"),
        format!("<html><body><a href=\"../../files/foo-1.0-py3-none-any.whl#sha256={digest}\" data-requires-python=\"&gt;=3.9\" data-dist-info-metadata=\"sha256={meta}\">foo-1.0-py3-none-any.whl</a></body></html>"),
    )
    .expect("write");
    let server = PythonHttpServer::start(root);
    let c = client();
    let url = format!("http://127.0.0.1:{}/simple", server.port);
    let page = c.project_page(&url, "foo").await.expect("page");
    assert_eq!(page.files.len(), 1);
    assert_eq!(page.files[0].sha256(), Some(digest.as_str()));
    assert_eq!(page.files[0].requires_python.as_deref(), Some(">=3.9"));
    c.fetch_core_metadata(&page.files[0])
        .await
        .expect("PEP 658 file from the static tree");
    assert!(
        c.project_page(&url, "nothing")
            .await
            .expect_err("404")
            .is_not_found()
    );
}

struct PythonHttpServer {
    child: std::process::Child,
    port: u16,
}

impl PythonHttpServer {
    fn start(root: &std::path::Path) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs (listed in .ci/apt-packages)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Self { child, port }
    }
}

impl Drop for PythonHttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_disk_cache_revalidates_and_follows_changes() {
    let index = TestIndex::start(PageFormat::Json);
    publish(&index);
    let dir = tempfile::tempdir().expect("cache dir");
    let cached = || {
        IndexClient::new(IndexClientOptions {
            cache_dir: Some(dir.path().to_owned()),
            ..options()
        })
        .expect("client")
    };
    let first = cached()
        .project_page(&index.url(), "foo")
        .await
        .expect("page");
    assert_eq!(index.not_modified(), 0);
    // A new client (a new run) revalidates: 304, and the same page from the cache.
    let second = cached()
        .project_page(&index.url(), "foo")
        .await
        .expect("page");
    assert_eq!(index.not_modified(), 1);
    assert_eq!(second, first);
    // The page changes: the ETag no longer matches, the new page is served and stored.
    index.add_project("foo", vec![TestFile::new("foo-2.0.tar.gz", b"sdist 2.0")]);
    let third = cached()
        .project_page(&index.url(), "foo")
        .await
        .expect("page");
    assert_eq!(index.not_modified(), 1);
    assert_eq!(third.files.len(), 4);
    let fourth = cached()
        .project_page(&index.url(), "foo")
        .await
        .expect("page");
    assert_eq!((index.not_modified(), fourth), (2, third));
    // A damaged entry is a miss, not an error.
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        std::fs::write(entry.expect("entry").path(), b"garbage").expect("damage");
    }
    let fifth = cached()
        .project_page(&index.url(), "foo")
        .await
        .expect("page");
    assert_eq!(fifth.files.len(), 4);
}
