//! `~/.netrc` credentials, as pip (through requests) reads them: `machine HOST login USER
//! password PASS`, and a `default` entry for every other host. `NETRC` names another file.

use std::path::{Path, PathBuf};

/// The credentials of one `.netrc` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(Option<String>, Credentials)>,
}

/// A login and password, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub login: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

impl Netrc {
    /// The file `NETRC` names, else `~/.netrc`; `None` when there is none or it cannot be read.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("NETRC")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".netrc")))?;
        let text = std::fs::read_to_string(&path).ok()?;
        Some(Self::parse(&text))
    }

    /// Reads the tokens of a `.netrc` text; `macdef` bodies are skipped.
    pub fn parse(text: &str) -> Self {
        let mut machines = Vec::new();
        let mut current: Option<(Option<String>, Credentials)> = None;
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let mut tokens = line.split_whitespace();
            while let Some(token) = tokens.next() {
                match token {
                    "machine" | "default" => {
                        machines.extend(current.take());
                        let host = if token == "machine" {
                            tokens.next().map(str::to_owned)
                        } else {
                            None
                        };
                        current = Some((host, Credentials::default()));
                    }
                    "login" | "password" | "account" => {
                        let value = tokens.next().unwrap_or_default().to_owned();
                        if let Some((_, c)) = current.as_mut() {
                            match token {
                                "login" => c.login = value,
                                "password" => c.password = Some(crate::secret::registered(value)),
                                _ => {}
                            }
                        }
                    }
                    "macdef" => {
                        // A macro runs to the next empty line.
                        for body in lines.by_ref() {
                            if body.trim().is_empty() {
                                break;
                            }
                        }
                        break;
                    }
                    t if t.starts_with('#') => break,
                    _ => {}
                }
            }
        }
        machines.extend(current);
        Self { machines }
    }

    /// The credentials for `host`: its `machine` entry, else the `default` one.
    pub fn credentials(&self, host: &str) -> Option<&Credentials> {
        self.machines
            .iter()
            .find(|(m, _)| m.as_deref() == Some(host))
            .or_else(|| self.machines.iter().find(|(m, _)| m.is_none()))
            .map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_and_default() {
        let netrc = Netrc::parse(
            "# comment\nmachine 127.0.0.1 login alice password s3cret\nmacdef init\ncd /\n\nmachine other\n  login bob\n  password pw\ndefault login anon password x\n",
        );
        let alice = netrc.credentials("127.0.0.1").expect("entry");
        assert_eq!(alice.login, "alice");
        assert_eq!(alice.password.as_deref(), Some("s3cret"));
        assert_eq!(
            netrc.credentials("other").map(|c| c.login.as_str()),
            Some("bob")
        );
        assert_eq!(
            netrc.credentials("elsewhere").map(|c| c.login.as_str()),
            Some("anon")
        );
        assert_eq!(format!("{alice:?}"), crate::secret::REDACTED);
        assert_eq!(Netrc::parse("machine h login u").credentials("x"), None);
    }
}
