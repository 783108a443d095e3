//! The image argument, with skopeo's transport prefixes.

use std::path::PathBuf;

/// What `-i/--image` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `docker://REF` or a bare reference: pull from a registry.
    Registry(String),
    /// `oci:DIR[:REF]`: an OCI image layout directory.
    OciLayout {
        dir: PathBuf,
        reference: Option<String>,
    },
    /// `oci-archive:FILE[:REF]`: a tar of an OCI image layout.
    OciArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `docker-archive:FILE[:REF]`: `docker save` / `podman save` output.
    DockerArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `dir:DIR`: a root filesystem on disk.
    RootFs(PathBuf),
    /// `docker-daemon:NAME[:TAG]`: an image in the local Docker or Podman engine.
    Daemon(String),
    /// `containers-storage:[DRIVER@GRAPHROOT+RUNROOT]NAME`: an image in Podman's local store,
    /// read from disk (also syft's `podman:NAME`).
    ContainersStorage(String),
    /// A path without a transport: what it is (layout, archive, root filesystem) is read from
    /// the file itself.
    LocalPath(PathBuf),
}

/// The transports `-i` takes, for the error that lists them.
pub const TRANSPORTS: &[&str] = &[
    "docker://",
    "oci:",
    "oci-archive:",
    "docker-archive:",
    "docker-daemon:",
    "containers-storage:",
    "dir:",
];

/// Other tools' spellings accepted as aliases: syft's `oci-dir:`, `registry:`, `docker:` (its
/// daemon source) and `podman:` (Podman's images, read from its store as
/// `containers-storage:` does, so no service need run), and skopeo's `docker:` with `//`.
const ALIASES: &[(&str, &str)] = &[
    ("oci-dir", "oci"),
    ("registry", "docker://"),
    ("docker", "docker-daemon"),
    ("podman", "containers-storage"),
];

impl ImageRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the image reference is empty".into());
        }
        let redacted = redact(text);
        if redacted != text {
            return Err(format!(
                "the image reference {redacted:?} holds credentials; give them with -c USER:PASSWORD (or log in with podman/docker) instead"
            ));
        }
        if looks_like_path(text) {
            return Ok(Self::LocalPath(PathBuf::from(text)));
        }
        let Some((transport, rest)) = text.split_once(':') else {
            return Ok(Self::Registry(text.to_owned()));
        };
        let need = |what: &str| format!("{transport}: needs {what}, e.g. {transport}:./image");
        match transport {
            "docker" if rest.starts_with("//") => {
                let r = &rest[2..];
                if r.is_empty() {
                    return Err(
                        "docker:// needs a reference, e.g. docker://registry.local:5000/app:1.0"
                            .into(),
                    );
                }
                Ok(Self::Registry(r.to_owned()))
            }
            "registry" => {
                let r = rest.trim_start_matches("//");
                if r.is_empty() {
                    return Err(need("a reference"));
                }
                Ok(Self::Registry(r.to_owned()))
            }
            "oci" | "oci-dir" | "oci-archive" | "docker-archive" => {
                if rest.is_empty() {
                    return Err(need("a path"));
                }
                let (p, r) = path_and_ref(rest);
                Ok(match transport {
                    "oci" | "oci-dir" => Self::OciLayout {
                        dir: p,
                        reference: r,
                    },
                    "oci-archive" => Self::OciArchive {
                        file: p,
                        reference: r,
                    },
                    _ => Self::DockerArchive {
                        file: p,
                        reference: r,
                    },
                })
            }
            "dir" => {
                if rest.is_empty() {
                    return Err(need("a directory"));
                }
                Ok(Self::RootFs(PathBuf::from(rest)))
            }
            // `docker:NAME` without `//` is syft's daemon source; a registry host named
            // `docker` with a port (`docker:5000/app`) stays a registry reference.
            "docker" if is_port_then_path(rest) => Ok(Self::Registry(text.to_owned())),
            "containers-storage" | "podman" => {
                if rest.is_empty() {
                    return Err(format!(
                        "{transport}: needs an image name or id, e.g. {transport}:localhost/app:latest"
                    ));
                }
                Ok(Self::ContainersStorage(rest.to_owned()))
            }
            "docker-daemon" | "docker" => {
                if rest.is_empty() {
                    return Err(
                        "docker-daemon: needs an image name, e.g. docker-daemon:app:latest".into(),
                    );
                }
                Ok(Self::Daemon(rest.to_owned()))
            }
            _ if is_registry_reference(transport, rest) => Ok(Self::Registry(text.to_owned())),
            _ => Err(unknown_transport(transport)),
        }
    }
}

/// `DIR[:REF]` or `DIR@sha256:...` (a manifest chosen by digest).
fn path_and_ref(rest: &str) -> (PathBuf, Option<String>) {
    if let Some((p, digest)) = rest.rsplit_once('@') {
        if digest.starts_with("sha256:") || digest.starts_with("sha512:") {
            return (PathBuf::from(p), Some(digest.to_owned()));
        }
    }
    match rest.split_once(':') {
        Some((p, r)) if !r.is_empty() => (PathBuf::from(p), Some(r.to_owned())),
        Some((p, _)) => (PathBuf::from(p), None),
        None => (PathBuf::from(rest), None),
    }
}

/// A path given without a transport: it starts like one (`/`, `./`, `../`, `~/`) or names
/// something that exists.
fn looks_like_path(text: &str) -> bool {
    text.starts_with('/')
        || text.starts_with("./")
        || text.starts_with("../")
        || text.starts_with("~/")
        || text == "."
        || std::path::Path::new(text).exists()
}

fn is_port_then_path(rest: &str) -> bool {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (rest.len() == digits || rest.as_bytes()[digits] == b'/')
}

/// `host:port/...` or `name:tag`: a registry reference whose first colon is not a transport's.
fn is_registry_reference(head: &str, rest: &str) -> bool {
    if nearest_transport(head).is_some_and(|(_, distance)| distance <= 2) {
        return false;
    }
    let is_tag = !rest.is_empty()
        && rest.len() <= 128
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        || rest.starts_with("sha256:");
    is_tag || is_port_then_path(rest) || head.contains('.')
}

fn nearest_transport(head: &str) -> Option<(&'static str, usize)> {
    TRANSPORTS
        .iter()
        .map(|t| t.trim_end_matches("://").trim_end_matches(':'))
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .map(|t| (t, edit_distance(head, t)))
        .min_by_key(|(_, d)| *d)
}

fn unknown_transport(head: &str) -> String {
    let nearest = nearest_transport(head)
        .filter(|(_, d)| *d <= 3)
        .map(|(t, _)| format!(" (did you mean {t}:?)"))
        .unwrap_or_default();
    format!(
        "unknown transport {head:?}{nearest}; the transports are {} (and syft's oci-dir:, registry:, docker:, podman:), or give a bare registry reference or a local path",
        TRANSPORTS.join(", ")
    )
}

/// Levenshtein distance, for the nearest transport to a typo.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The reference with any user-info (`user:pass@host/...`, `docker://user:pass@...`) removed,
/// for messages: credentials never belong in a reference, and must not be echoed from one.
pub fn redact(text: &str) -> String {
    // containers-storage's `[DRIVER@GRAPHROOT+RUNROOT]` store spec holds an `@` that is no
    // user-info: only the image name after it is looked at.
    if let Some(end) = store_spec_end(text) {
        return format!("{}{}", &text[..end], redact(&text[end..]));
    }
    let (scheme, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at)
            if !authority[at + 1..].starts_with("sha256:")
                && !authority[at + 1..].starts_with("sha512:") =>
        {
            format!("{scheme}{}@{}", common::secret::REDACTED, &rest[at + 1..])
        }
        _ => text.to_owned(),
    }
}

/// Where the store spec of `containers-storage:[...]NAME` (or `podman:[...]NAME`) ends.
fn store_spec_end(text: &str) -> Option<usize> {
    ["containers-storage:[", "podman:["]
        .iter()
        .find_map(|prefix| {
            let rest = text.strip_prefix(prefix)?;
            Some(prefix.len() + rest.find(']')? + 1)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_references_are_redacted() {
        assert_eq!(redact("user:pass@host/x"), "<redacted>@host/x");
        assert_eq!(
            redact("docker://user:pass@host:5000/x:1"),
            "docker://<redacted>@host:5000/x:1"
        );
        assert_eq!(redact("host/x@sha256:ab"), "host/x@sha256:ab");
        assert_eq!(redact("app@sha256:ab"), "app@sha256:ab");
        assert_eq!(
            redact("containers-storage:[vfs@/s+/r]app:1"),
            "containers-storage:[vfs@/s+/r]app:1"
        );
        for text in ["user:s3cr3t@host/x", "docker://user:s3cr3t@host/x:1"] {
            let e = ImageRef::parse(text).expect_err("refused");
            assert!(!e.contains("s3cr3t") && !e.contains("user"), "{e}");
        }
    }

    #[test]
    fn parses_transports() {
        assert_eq!(
            ImageRef::parse("docker://127.0.0.1:5000/app:1.0"),
            Ok(ImageRef::Registry("127.0.0.1:5000/app:1.0".into()))
        );
        assert_eq!(
            ImageRef::parse("registry.local:5000/app:1.0"),
            Ok(ImageRef::Registry("registry.local:5000/app:1.0".into()))
        );
        assert_eq!(
            ImageRef::parse("ubuntu:22.04"),
            Ok(ImageRef::Registry("ubuntu:22.04".into()))
        );
        assert_eq!(
            ImageRef::parse("alpine"),
            Ok(ImageRef::Registry("alpine".into()))
        );
        assert_eq!(
            ImageRef::parse("localhost:5000/x"),
            Ok(ImageRef::Registry("localhost:5000/x".into()))
        );
        assert_eq!(
            ImageRef::parse("oci:./layout:latest"),
            Ok(ImageRef::OciLayout {
                dir: "./layout".into(),
                reference: Some("latest".into())
            })
        );
        assert_eq!(
            ImageRef::parse("oci:/tmp/l"),
            Ok(ImageRef::OciLayout {
                dir: "/tmp/l".into(),
                reference: None
            })
        );
        assert_eq!(
            ImageRef::parse("docker-archive:img.tar"),
            Ok(ImageRef::DockerArchive {
                file: "img.tar".into(),
                reference: None
            })
        );
        assert_eq!(
            ImageRef::parse("oci-archive:img.tar:v1"),
            Ok(ImageRef::OciArchive {
                file: "img.tar".into(),
                reference: Some("v1".into())
            })
        );
        assert_eq!(
            ImageRef::parse("dir:/srv/root"),
            Ok(ImageRef::RootFs("/srv/root".into()))
        );
        assert_eq!(
            ImageRef::parse("docker-daemon:app:latest"),
            Ok(ImageRef::Daemon("app:latest".into()))
        );
        assert_eq!(
            ImageRef::parse("oci:dir@sha256:ab"),
            Ok(ImageRef::OciLayout {
                dir: "dir".into(),
                reference: Some("sha256:ab".into())
            })
        );
        assert_eq!(
            ImageRef::parse("oci-dir:d"),
            Ok(ImageRef::OciLayout {
                dir: "d".into(),
                reference: None
            })
        );
        assert_eq!(
            ImageRef::parse("registry:r.test/a:1"),
            Ok(ImageRef::Registry("r.test/a:1".into()))
        );
        assert_eq!(
            ImageRef::parse("docker:app:1"),
            Ok(ImageRef::Daemon("app:1".into()))
        );
        assert_eq!(
            ImageRef::parse("podman:app"),
            Ok(ImageRef::ContainersStorage("app".into()))
        );
        assert_eq!(
            ImageRef::parse("containers-storage:[vfs@/s+/r]app:1"),
            Ok(ImageRef::ContainersStorage("[vfs@/s+/r]app:1".into()))
        );
        let e = ImageRef::parse("containers-storag:app").expect_err("typo");
        assert!(e.contains("did you mean containers-storage:"), "{e}");
        assert_eq!(
            ImageRef::parse("docker:5000/app"),
            Ok(ImageRef::Registry("docker:5000/app".into()))
        );
        assert_eq!(
            ImageRef::parse("./image.tar"),
            Ok(ImageRef::LocalPath("./image.tar".into()))
        );
        let e = ImageRef::parse("docker-deamon:app:1").expect_err("typo");
        assert!(e.contains("did you mean docker-daemon:"), "{e}");
        assert!(e.contains("oci-archive:"), "{e}");
        let e = ImageRef::parse("docker-deamon:app").expect_err("typo");
        assert!(e.contains("unknown transport"), "{e}");
        assert!(ImageRef::parse("").is_err());
        assert!(ImageRef::parse("oci:").is_err());
        assert!(ImageRef::parse("docker://").is_err());
    }
}
