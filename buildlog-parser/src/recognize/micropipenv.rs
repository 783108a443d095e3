//! micropipenv: the printed Pipfile.lock, the `pip freeze` block, installation rounds.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, PythonSource, Role, split_requirement};
use crate::pattern::Pattern;

/// A printed lock file larger than this is not kept (nor parsed).
const MAX_LOCK_BYTES: usize = 16 << 20;

/// `"-"*33 + "- Pipfile.lock -" + "-"*33`, the line Thoth matched exactly.
const LOCK_BANNER: &str =
    "---------------------------------- Pipfile.lock ----------------------------------";
const FREEZE_BANNER: &str =
    "---------------------------------- pip freeze ----------------------------------";

static RETRY: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r#"^Failed to install ['"]([^'"]+)['"], will try in next installation round\.\.\.$"#,
    )
});
static FATAL: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r#"Failed to install requirements, dependency ['"]([^'"]+)['"] could not be installed"#,
    )
});
static VCS: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^!!! Requirement (\S+) uses a VCS version"));

#[derive(Debug, Default)]
enum Block {
    #[default]
    None,
    /// The lock text so far; `None` once it grew past [`MAX_LOCK_BYTES`].
    Lock(Option<String>),
    Freeze,
}

#[derive(Debug, Default)]
pub struct Micropipenv {
    block: Block,
}

impl Micropipenv {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let text = line.text;
        match &mut self.block {
            Block::Lock(lock) => {
                if text == LOCK_BANNER {
                    if let Some(lock) = lock.take() {
                        read_lock(&lock, c);
                    }
                    self.block = Block::None;
                } else if let Some(kept) = lock {
                    if kept.len() + text.len() < MAX_LOCK_BYTES {
                        kept.push_str(text);
                        kept.push('\n');
                    } else {
                        // Too large to keep: give up on this block, keep parsing the log.
                        *lock = None;
                    }
                }
                return Role::Owned;
            }
            Block::Freeze => {
                if text == FREEZE_BANNER || (text.len() > 40 && text.chars().all(|ch| ch == '-')) {
                    self.block = Block::None;
                } else if let Some((name, version)) = text.trim().split_once("==") {
                    c.installed(name.trim(), version.trim());
                }
                return Role::Owned;
            }
            Block::None => {}
        }
        if text == LOCK_BANNER {
            c.tool("micropipenv", None);
            self.block = Block::Lock(Some(String::new()));
            return Role::Owned;
        }
        if text == FREEZE_BANNER {
            c.tool("micropipenv", None);
            self.block = Block::Freeze;
            return Role::Owned;
        }
        if let Some(name) = RETRY.captures(text).and_then(|m| m.get(1)) {
            c.tool("micropipenv", None);
            let name = requirement_name(name.as_str());
            c.mark(name, false);
            c.terminate_entry(text);
            c.in_progress = None;
            return Role::Progress;
        }
        if let Some(name) = FATAL.captures(text).and_then(|m| m.get(1)) {
            c.tool("micropipenv", None);
            let name = requirement_name(name.as_str());
            c.mark(name, false);
            c.terminate_entry(text);
            c.in_progress = None;
            // The error block itself is opened by the classifier.
            return Role::Unknown;
        }
        if VCS.is_match(text) {
            c.tool("micropipenv", None);
        }
        Role::Unknown
    }
}

/// micropipenv names packages by the requirement it built (`'foo'`, sometimes `'foo==1.0'`).
fn requirement_name(requirement: &str) -> &str {
    split_requirement(requirement).map_or(requirement, |(name, _)| name)
}

fn read_lock(text: &str, c: &mut Collector) {
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(text) else {
        tracing::debug!("the printed Pipfile.lock is not JSON");
        return;
    };
    if let Some(version) = lock
        .pointer("/_meta/requires/python_version")
        .and_then(|v| v.as_str())
    {
        c.python_version(PythonSource::Hint, version);
    }
    if let Some(sources) = lock.pointer("/_meta/sources").and_then(|s| s.as_array()) {
        for url in sources.iter().filter_map(|s| s.get("url")?.as_str()) {
            c.index(url);
        }
    }
    c.pipfile_lock = Some(lock);
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    #[test]
    fn lock_freeze_and_rounds() {
        let log = format!(
            "{b}\n{{\"_meta\": {{\"requires\": {{\"python_version\": \"3.8\"}}, \"sources\": [{{\"url\": \"https://u:p@idx.example/simple\"}}]}}, \"default\": {{}}}}\n{b}\n\
             Collecting a==1.0 (from -r /tmp/req.txt (line 1))\n\
             ERROR: No matching distribution found for a==1.0\n\
             Failed to install 'a', will try in next installation round...\n\
             Collecting b==2.0 (from -r /tmp/req.txt (line 1))\n\
             Successfully installed b-2.0\n\
             Collecting a==1.0 (from -r /tmp/req.txt (line 1))\n\
             Successfully installed a-1.0\n\
             {f}\nA==1.0\nb==2.0\n{f}\n",
            b = super::LOCK_BANNER,
            f = super::FREEZE_BANNER
        );
        let r = parse_str(&log);
        assert!(r.pipfile_lock.is_some());
        assert_eq!(r.python_version.as_deref(), Some("3.8"));
        assert_eq!(r.indexes, vec!["https://idx.example/simple".to_owned()]);
        assert_eq!(r.recovered, vec!["a".to_owned()]);
        assert!(r.failed.is_empty());
        assert!(r.installation_successful);
        assert_eq!(r.installation.len(), 3);
        assert_eq!(r.installation[0].is_successful, Some(false));
        assert!(
            r.installation[0]
                .installation_log
                .ends_with("will try in next installation round...")
        );
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].recovered);
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(installed, vec![("A", "1.0"), ("b", "2.0")]);
    }

    #[test]
    fn fatal_failure() {
        let r = parse_str(
            "Collecting a==1.0 (from -r /tmp/req.txt (line 1))\n\
             ERROR: No matching distribution found for a==1.0\n\
             Failed to install 'a', will try in next installation round...\n\
             Failed to install requirements, dependency 'a' could not be installed\n",
        );
        assert_eq!(r.failed, vec!["a".to_owned()]);
        assert!(!r.installation_successful);
        assert!(r.errors.iter().all(|e| e.package.as_deref() == Some("a")));
    }
}
