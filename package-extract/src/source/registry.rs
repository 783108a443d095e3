//! Registries (`docker://REF` and bare references).

use common::{AnalyzerError, Secret};

use crate::inventory::{Options, Walked};

/// How to talk to a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub credentials: Option<Secret>,
    pub no_tls_verify: bool,
}

pub fn walk(reference: &str, _opts: &Options) -> Result<Walked, AnalyzerError> {
    Err(AnalyzerError::not_implemented(&format!(
        "pulling {reference} from a registry"
    )))
}
