//! ELF objects: what `readelf --dynamic --version-info` tells, read with `object`'s bounds-checked
//! low-level API from bytes. Nothing is loaded or run.

mod sparse;

use object::elf;
use object::read::ReadRef;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, read::StringTable};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
pub use sparse::{SparseElf, read_sparse};

/// The facts kept per ELF object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ElfFacts {
    /// `ELF32` or `ELF64`.
    pub class: String,
    /// e.g. `x86_64`, `aarch64`, or `EM_<number>` for others.
    pub machine: String,
    /// `EXEC`, `DYN`, `REL`, `CORE` or a number.
    #[serde(rename = "type")]
    pub kind: String,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub runpath: Vec<String>,
    pub rpath: Vec<String>,
    pub interpreter: Option<String>,
    /// Hex of the GNU build-id note.
    pub build_id: Option<String>,
    /// Version definitions (`.gnu.version_d`) except the base one, which names the file itself.
    pub defined_versions: Vec<String>,
    /// Required versions (`.gnu.version_r`), per needed library.
    pub required_versions: std::collections::BTreeMap<String, Vec<String>>,
    /// The highest `GLIBC_x.y[.z]` version required, if any.
    pub max_glibc: Option<String>,
}

/// Whether `head` starts like an ELF file.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

/// Parses an ELF object held whole in memory; `Err` says why it is not a usable one.
pub fn parse(data: &[u8]) -> Result<ElfFacts, String> {
    parse_from(data)
}

/// Parses from anything `object` can read at offsets: a whole file or a [`SparseElf`].
pub fn parse_from<'d, R: ReadRef<'d>>(data: R) -> Result<ElfFacts, String> {
    // e_ident[EI_CLASS]: 1 = 32-bit, 2 = 64-bit.
    let class = data
        .read_bytes_at(4, 1)
        .ok()
        .and_then(|b| b.first().copied());
    match class {
        Some(1) => parse_as::<elf::FileHeader32<Endianness>, R>(data, "ELF32"),
        Some(2) => parse_as::<elf::FileHeader64<Endianness>, R>(data, "ELF64"),
        _ => Err("not an ELF file (bad class byte)".into()),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_as<'d, H: FileHeader<Endian = Endianness>, R: ReadRef<'d>>(
    data: R,
    class: &str,
) -> Result<ElfFacts, String> {
    let err = |e: object::read::Error| e.to_string();
    let header = H::parse(data).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    let mut facts = ElfFacts {
        class: class.to_owned(),
        machine: machine_name(header.e_machine(endian)),
        kind: {
            let t = header.e_type(endian);
            if t == elf::ET_EXEC {
                "EXEC".into()
            } else if t == elf::ET_DYN {
                "DYN".into()
            } else if t == elf::ET_REL {
                "REL".into()
            } else if t == elf::ET_CORE {
                "CORE".into()
            } else {
                format!("{t:?}")
            }
        },
        ..ElfFacts::default()
    };
    if let Ok(segments) = header.program_headers(endian, data) {
        for segment in segments {
            if let Ok(Some(interp)) = segment.interpreter(endian, data) {
                facts.interpreter = Some(text(interp));
            }
        }
    }
    let sections = header.sections(endian, data).map_err(err)?;
    if let Some((dynamics, link)) = sections.dynamic(endian, data).map_err(err)? {
        let strings = sections.strings(endian, data, link).map_err(err)?;
        for d in dynamics {
            let tag = d.tag(endian);
            let value = d.d_val(endian).into();
            let string = || {
                u32::try_from(value)
                    .ok()
                    .and_then(|offset| strings.get(offset).ok())
                    .map(text)
            };
            if tag == elf::DT_NEEDED {
                facts.needed.extend(string());
            } else if tag == elf::DT_SONAME {
                facts.soname = string();
            } else if tag == elf::DT_RUNPATH {
                facts
                    .runpath
                    .extend(string().iter().flat_map(|s| split_path(s)));
            } else if tag == elf::DT_RPATH {
                facts
                    .rpath
                    .extend(string().iter().flat_map(|s| split_path(s)));
            }
        }
    }
    for section in sections.iter() {
        if let Ok(Some(mut notes)) = section.notes(endian, data) {
            while let Ok(Some(note)) = notes.next() {
                if note.name() == b"GNU" && note.n_type(endian) == elf::NT_GNU_BUILD_ID {
                    facts.build_id = Some(hex::encode(note.desc()));
                }
            }
        }
    }
    if let Some((mut defs, link)) = sections.gnu_verdef(endian, data).map_err(err)? {
        let strings = sections.strings(endian, data, link).map_err(err)?;
        while let Some((def, mut aux)) = defs.next().map_err(err)? {
            if def.vd_flags.get(endian).contains(elf::VER_FLG_BASE) {
                continue;
            }
            if let Some(first) = aux.next().map_err(err)? {
                facts
                    .defined_versions
                    .push(text(first.name(endian, strings).map_err(err)?));
            }
        }
    }
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, data).map_err(err)? {
        let strings: StringTable<'d, R> = sections.strings(endian, data, link).map_err(err)?;
        while let Some((need, mut aux)) = needs.next().map_err(err)? {
            let file = text(need.file(endian, strings).map_err(err)?);
            let versions = facts.required_versions.entry(file).or_default();
            while let Some(a) = aux.next().map_err(err)? {
                versions.push(text(a.name(endian, strings).map_err(err)?));
            }
        }
    }
    facts.max_glibc = facts
        .required_versions
        .values()
        .flatten()
        .chain(&facts.defined_versions)
        .filter_map(|v| v.strip_prefix("GLIBC_"))
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .max_by(|a, b| version_key(a).cmp(&version_key(b)))
        .map(|v| format!("GLIBC_{v}"));
    Ok(facts)
}

fn split_path(s: &str) -> Vec<String> {
    s.split(':')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn machine_name(m: elf::Machine) -> String {
    const NAMES: &[(elf::Machine, &str)] = &[
        (elf::EM_X86_64, "x86_64"),
        (elf::EM_386, "i386"),
        (elf::EM_AARCH64, "aarch64"),
        (elf::EM_ARM, "arm"),
        (elf::EM_PPC64, "ppc64"),
        (elf::EM_S390, "s390"),
        (elf::EM_RISCV, "riscv"),
    ];
    NAMES
        .iter()
        .find(|(k, _)| *k == m)
        .map_or_else(|| format!("{m:?}"), |(_, n)| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_machines_own_libc_and_python() {
        let libc =
            std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").expect("libc on a Debian machine");
        let f = parse(&libc).expect("parses");
        assert_eq!(
            (f.class.as_str(), f.machine.as_str(), f.kind.as_str()),
            ("ELF64", "x86_64", "DYN")
        );
        assert_eq!(f.soname.as_deref(), Some("libc.so.6"));
        assert!(f.defined_versions.iter().any(|v| v == "GLIBC_2.2.5"));
        assert!(
            !f.defined_versions.iter().any(|v| v == "libc.so.6"),
            "the base definition is left out"
        );
        let py = std::fs::read("/usr/bin/python3.11").expect("python3.11");
        let f = parse(&py).expect("parses");
        assert!(f.needed.iter().any(|n| n == "libc.so.6"));
        assert!(
            f.interpreter
                .as_deref()
                .is_some_and(|i| i.contains("ld-linux"))
        );
        assert!(
            f.required_versions
                .get("libc.so.6")
                .is_some_and(|v| v.iter().any(|x| x.starts_with("GLIBC_2.")))
        );
        assert!(f.max_glibc.is_some());
        assert!(f.build_id.as_ref().is_some_and(|b| b.len() == 40));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [
            &b""[..],
            b"\x7fELF",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
            &[
                0x7f, b'E', b'L', b'F', 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
            ],
        ] {
            let _ = parse(junk);
        }
        let mut libc = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").expect("libc");
        libc.truncate(4096);
        let _ = parse(&libc);
    }
}
