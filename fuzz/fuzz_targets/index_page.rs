//! Index project pages from a hostile server: the first byte picks PEP 691 JSON or PEP 503 HTML
//! (or no content type, which sniffs), the rest is the body. Parsing never panics, the files it
//! returns stay within the memory bound the client gives a page of that size, and the page built
//! from the files indexes every file with a version exactly once.
#![no_main]

use common::index::{ProjectPage, parse_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = match selector % 3 {
        0 => common::index::JSON_CONTENT_TYPE,
        1 => "text/html",
        _ => "",
    };
    let url = reqwest::Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
    // The client's bound for a body of this size: 16 times it, at least 1 MiB.
    let room = (body.len() * 16).max(1 << 20);
    let files = match parse_page(body, content_type, &url, "foo", room) {
        Ok(files) => files,
        Err(common::index::PageError::TooLarge { files, limit }) => {
            assert!(files >= 1 && limit == room);
            return;
        }
        Err(common::index::PageError::Malformed(_)) => return,
    };
    let bytes: usize = files.iter().map(common::index::IndexFile::heap_bytes).sum();
    assert!(bytes <= room, "{bytes} > {room}");
    for f in &files {
        assert!(reqwest::Url::parse(&f.url).is_ok(), "{}", f.url);
    }
    let with_version = files.iter().filter(|f| f.version().is_some()).count();
    let page = ProjectPage::new("foo".into(), url.to_string(), files);
    let indexed: usize = page.versions().iter().map(|v| page.files_of(v).count()).sum();
    assert_eq!(indexed, with_version);
    assert!(page.versions().windows(2).all(|w| w[0] < w[1]));
});
