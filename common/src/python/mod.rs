//! Python packaging primitives shared by the analyzers.

mod name;

pub use name::normalize_name;
