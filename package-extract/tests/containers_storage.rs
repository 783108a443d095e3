//! `containers-storage:` against stores the real tools fill: `skopeo copy` imports corpus images
//! (Alpine 3.10 with 14 apk packages, a Debian-based image with 84 deb packages) and `podman
//! build --isolation chroot` adds a layer that deletes files of its parent, into private vfs and
//! overlay stores (never the machine's). The oracle is the same image exported with
//! `skopeo copy containers-storage:... oci:DIR` and read by package-extract.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::{comparable, extract, input_error, package_set as set, require, succeeded};

const DRIVERS: &[&str] = &["vfs", "overlay"];

/// The images every store holds, by the names they were given.
const ALPINE: &str = "alpine:3.10";
const DEBIAN: &str = "nodes:fake";
/// skopeo resolves short names to docker.io only; podman (and package-extract) try localhost/ first.
const DELETED: &str = "localhost/del:latest";

struct Fixture {
    root: PathBuf,
    /// Podman wants a run root shorter than 50 characters: one under /tmp, removed once the
    /// stores are filled (reading needs none).
    run: PathBuf,
}

impl Fixture {
    fn graphroot(&self, driver: &str) -> PathBuf {
        self.root.join(driver).join("root")
    }

    /// `[DRIVER@GRAPHROOT+RUNROOT]`, skopeo's store spec.
    fn spec(&self, driver: &str) -> String {
        let d = self.root.join(driver);
        format!(
            "[{driver}@{}+{}]",
            d.join("root").display(),
            self.run.join(driver).display()
        )
    }

    fn reference(&self, driver: &str, name: &str) -> String {
        format!("containers-storage:{}{name}", self.spec(driver))
    }

    /// The oracle: the image exported by skopeo as an OCI layout.
    fn exported(&self, driver: &str, name: &str) -> String {
        let dir = self.root.join(driver).join("export");
        let tag = name.replace([':', '/'], "-");
        format!("oci:{}:{tag}", dir.display())
    }

    fn images(&self, driver: &str) -> Vec<Value> {
        let path = self
            .graphroot(driver)
            .join(format!("{driver}-images/images.json"));
        serde_json::from_slice(&std::fs::read(path).expect("images.json")).expect("json")
    }

    fn image(&self, driver: &str, name: &str) -> Value {
        self.images(driver)
            .into_iter()
            .find(|i| i["names"].to_string().contains(name))
            .unwrap_or_else(|| panic!("{name} is in the {driver} store"))
    }
}

fn corpus(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/images")
        .join(rel);
    assert!(
        path.exists(),
        "{} is missing: the tests read the shared corpus beside the repository",
        path.display()
    );
    path
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Both stores, filled once per test binary under the target's scratch directory.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let skopeo = require("skopeo");
        let podman = require("podman");
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("containers-storage");
        if root.exists() {
            release_overlay(&root.join("overlay/root"));
            std::fs::remove_dir_all(&root).expect("remove the last run's stores");
        }
        std::fs::create_dir_all(&root).expect("mkdir");
        // skopeo reads docker archives uncompressed only.
        let alpine_tar = root.join("alpine-310.tar");
        let mut gz = flate2::read::GzDecoder::new(
            std::fs::File::open(corpus("trivy-alpine-310-gz/alpine-310.tar.gz")).expect("open"),
        );
        std::io::copy(
            &mut gz,
            &mut std::fs::File::create(&alpine_tar).expect("create"),
        )
        .expect("gunzip");
        let context = root.join("context");
        std::fs::create_dir_all(&context).expect("mkdir");
        // A layer deleting a file (the apk database), a directory (/etc/apk) and replacing one
        // (/etc/ssl, opaque in overlay) of its parent.
        std::fs::write(
            context.join("Containerfile"),
            format!(
                "FROM docker.io/library/{ALPINE}\nRUN rm /lib/apk/db/installed && rm -r /etc/apk /etc/ssl && mkdir /etc/ssl && echo new > /etc/ssl/new\n"
            ),
        )
        .expect("write");
        let fixture = Fixture {
            root,
            run: std::env::temp_dir().join(format!("pe-cs-{}", std::process::id())),
        };
        for driver in DRIVERS {
            let spec = fixture.spec(driver);
            let dir = fixture.root.join(driver);
            for (source, name) in [
                (format!("docker-archive:{}", alpine_tar.display()), ALPINE),
                (
                    format!(
                        "docker-archive:{}",
                        corpus("snyk-skopeo-nodes-fake/nodes-fake.tar").display()
                    ),
                    DEBIAN,
                ),
            ] {
                run(Command::new(&skopeo).args([
                    "copy",
                    "-q",
                    &source,
                    &format!("containers-storage:{spec}{name}"),
                ]));
            }
            run(Command::new(&podman)
                .arg("--root")
                .arg(dir.join("root"))
                .arg("--runroot")
                .arg(fixture.run.join(driver))
                .arg("--tmpdir")
                .arg(dir.join("tmp"))
                .args([
                    "--storage-driver",
                    driver,
                    "--events-backend",
                    "none",
                    "--cgroup-manager",
                    "cgroupfs",
                    "build",
                    "--isolation",
                    "chroot",
                    "--pull=never",
                    "-q",
                    "-t",
                    DELETED,
                    "-f",
                ])
                .arg(context.join("Containerfile"))
                .arg(&context));
            for name in [ALPINE, DEBIAN, DELETED] {
                let oci = fixture.exported(driver, name);
                run(Command::new(&skopeo).args([
                    "copy",
                    "-q",
                    &format!("containers-storage:{spec}{name}"),
                    &oci,
                ]));
            }
        }
        std::fs::remove_dir_all(&fixture.run).expect("remove the run root");
        release_overlay(&fixture.graphroot("overlay"));
        fixture
    })
}

/// The overlay driver bind-mounts its own directory (`GRAPHROOT/overlay`) and leaves it so;
/// reading needs no mount, and the scratch directory must be removable.
fn release_overlay(graphroot: &Path) {
    let dir = graphroot.join("overlay");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let target = dir.display().to_string();
    let mounted = mounts
        .lines()
        .filter(|l| l.split(' ').nth(4) == Some(target.as_str()))
        .count();
    for _ in 0..mounted {
        run(Command::new("umount").arg(&dir));
    }
}

fn inventory(image: &str) -> Value {
    let (out, doc) = extract(&["-i", image], &[]);
    succeeded(&out, doc)
}

#[test]
fn reads_each_image_as_its_skopeo_export_reads() {
    let f = fixture();
    for driver in DRIVERS {
        for (name, apk, deb) in [(ALPINE, 14, 0), (DEBIAN, 0, 84), (DELETED, 0, 0)] {
            let got = inventory(&f.reference(driver, name));
            let want = inventory(&f.exported(driver, name));
            let label = format!("{driver} {name}");
            for key in ["apk", "deb", "rpm", "python-packages", "operating-system"] {
                assert_eq!(got["result"][key], want["result"][key], "{label}: {key}");
            }
            assert_eq!(set(&got["result"]["apk"]).len(), apk, "{label}: apk");
            assert_eq!(set(&got["result"]["deb"]).len(), deb, "{label}: deb");
            // Everything else is the same document, but for what the export changed: skopeo
            // compresses the layers (other digests, `image_size`) and rewrites the config.
            let strip = |doc: &Value| {
                let mut r = comparable(doc);
                for key in ["image_size", "layers", "skopeo-inspect"] {
                    r.as_object_mut().expect("result").remove(key);
                }
                r
            };
            assert_eq!(strip(&got), strip(&want), "{label}");
            assert_eq!(
                got["result"]["layers"].as_array().map(Vec::len),
                want["result"]["layers"].as_array().map(Vec::len),
                "{label}: layer count"
            );
        }
    }
}

#[test]
fn a_layer_deleting_its_parents_files_hides_them() {
    let f = fixture();
    for driver in DRIVERS {
        let base = inventory(&f.reference(driver, ALPINE));
        let del = inventory(&f.reference(driver, DELETED));
        assert!(
            set(&base["result"]["apk"]).contains("apk-tools=2.10.4-r2"),
            "{driver}: the base has its apk database"
        );
        assert_eq!(
            del["result"]["apk"],
            Value::Array(vec![]),
            "{driver}: the deleted apk database is gone"
        );
        assert_eq!(
            del["result"]["operating-system"]["id"], "alpine",
            "{driver}: os-release, untouched, remains"
        );
        let layers = f.image(driver, "localhost/del:latest");
        assert!(layers["layer"].is_string());
    }
    // The overlay store holds the deletions as overlay whiteouts (0/0 character devices),
    // which the rebuilt tar turns back into `.wh.` entries.
    let f = fixture();
    let top = f.image("overlay", "localhost/del:latest")["layer"]
        .as_str()
        .expect("top layer")
        .to_owned();
    let whiteout = f
        .graphroot("overlay")
        .join(format!("overlay/{top}/diff/lib/apk/db/installed"));
    let meta = std::fs::symlink_metadata(&whiteout).expect("the whiteout exists");
    use std::os::unix::fs::FileTypeExt;
    assert!(meta.file_type().is_char_device(), "{}", whiteout.display());
}

#[test]
fn finds_images_by_the_names_podman_accepts() {
    let f = fixture();
    let driver = "vfs";
    let alpine = f.image(driver, "docker.io/library/alpine:3.10");
    let id = alpine["id"].as_str().expect("id");
    let digest = alpine["digest"].as_str().expect("digest");
    let want = set(&inventory(&f.reference(driver, ALPINE))["result"]["apk"]);
    for name in [
        "docker.io/library/alpine:3.10".to_owned(),
        "library/alpine:3.10".to_owned(),
        id[..12].to_owned(),
        format!("sha256:{id}"),
        format!("alpine@{digest}"),
        format!("@{digest}"),
    ] {
        let doc = inventory(&f.reference(driver, &name));
        assert_eq!(set(&doc["result"]["apk"]), want, "{name}");
    }
    // `del` was built as localhost/del:latest.
    for name in ["del", "del:latest", "localhost/del"] {
        let doc = inventory(&f.reference(driver, name));
        assert_eq!(doc["result"]["apk"], Value::Array(vec![]), "{name}");
    }
}

#[test]
fn the_default_store_comes_from_storage_conf_and_podman_is_an_alias() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("storage.conf");
    std::fs::write(
        &conf,
        format!(
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            f.graphroot("overlay").display(),
            f.run.join("overlay").display()
        ),
    )
    .expect("write");
    let conf = conf.display().to_string();
    for image in ["containers-storage:alpine:3.10", "podman:alpine:3.10"] {
        let (out, doc) = extract(&["-i", image], &[("CONTAINERS_STORAGE_CONF", &conf)]);
        let doc = succeeded(&out, doc);
        assert_eq!(set(&doc["result"]["apk"]).len(), 14, "{image}");
    }
}

fn failure(image: &str, env: &[(&str, &str)]) -> (String, String) {
    let (out, doc) = extract(&["-i", image], env);
    let doc = doc.expect("a failure document");
    let msg = input_error(&out, &doc);
    let hint = doc["result"]["hint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (msg, hint)
}

#[test]
fn errors_say_what_was_tried_and_what_to_do() {
    let f = fixture();
    let missing = f.root.join("no-such-store");
    let (msg, hint) = failure(
        &format!("containers-storage:[{}]alpine", missing.display()),
        &[],
    );
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(msg.contains("storage.conf files consulted"), "{msg}");
    assert!(hint.contains("--storage-driver vfs"), "{hint}");

    let (msg, hint) = failure(&f.reference("vfs", "alpne:3.10"), &[]);
    assert!(
        msg.contains("no image \"alpne:3.10\"") && msg.contains("docker.io/library/alpine:3.10"),
        "{msg}"
    );
    assert!(hint.contains("podman images"), "{hint}");

    for driver in ["btrfs", "zfs"] {
        let (msg, hint) = failure(
            &format!(
                "containers-storage:[{driver}@{}]alpine:3.10",
                f.graphroot("vfs").display()
            ),
            &[],
        );
        assert!(msg.contains(&format!("the {driver} driver")), "{msg}");
        assert!(hint.contains("podman save"), "{hint}");
    }
}

/// A store made by root, read by an unprivileged user: the error says whose store it is.
#[test]
fn permission_denied_names_the_rootless_and_root_stores() {
    let f = fixture();
    let home = tempfile::tempdir().expect("home");
    let (out, doc) = as_nobody(&f.reference("vfs", ALPINE), home.path());
    let msg = input_error(&out, &doc);
    assert!(msg.contains("permission denied"), "{msg}");
    let hint = doc["result"]["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("/var/lib/containers/storage") && hint.contains("rootless"),
        "{hint}"
    );
    assert!(Path::new(&f.graphroot("vfs")).is_dir());
}

/// A rootless user's default store, `~/.local/share/containers/storage`, found with no store
/// spec and no storage.conf: the vfs store copied there and given to an unprivileged user.
#[test]
fn a_rootless_user_reads_the_default_store_in_their_home() {
    let f = fixture();
    let home = tempfile::tempdir().expect("home");
    let store = home.path().join(".local/share/containers/storage");
    std::fs::create_dir_all(store.parent().expect("parent")).expect("mkdir");
    run(Command::new("cp")
        .arg("-a")
        .arg(f.graphroot("vfs"))
        .arg(&store));
    run(Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(home.path()));
    let (out, doc) = as_nobody(&format!("containers-storage:{ALPINE}"), home.path());
    assert!(out.status.success(), "{doc:#}");
    let apk = doc["result"]["apk"].as_array().map(Vec::len);
    assert_eq!(apk, Some(14), "{doc:#}");
}

/// package-extract on `image` as uid/gid 65534 (setpriv) with `home` as HOME and no other
/// variable but PATH; its output and document.
fn as_nobody(image: &str, home: &Path) -> (std::process::Output, Value) {
    let out = Command::new(require("setpriv"))
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            env!("CARGO_BIN_EXE_package-extract"),
            "extract-image",
            "-i",
            image,
        ])
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("setpriv runs");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "a document; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}
