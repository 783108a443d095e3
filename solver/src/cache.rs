//! What the indexes said, fetched once per run and shared: project pages per (index, project)
//! and release metadata per (index, project, version), each fetched once even when several
//! tasks ask at the same moment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use common::index::{IndexClient, IndexError, ProjectPage};
use common::python::{TargetEnvironment, Version, normalize_name};
use tokio::sync::OnceCell;

use crate::acquire::{self, AcquireError, Acquired};
use crate::releases::Releases;

pub type PageResult = Result<Arc<ProjectPage>, IndexError>;
pub type MetadataResult = Result<Arc<Acquired>, Arc<AcquireError>>;
pub type ReleasesResult = Result<Arc<Releases>, IndexError>;

/// A value being fetched or fetched, shared by whoever asks for it.
type Cell<T> = Arc<OnceCell<T>>;

fn cell<K: std::hash::Hash + Eq, T>(map: &Mutex<HashMap<K, Cell<T>>>, key: K) -> Cell<T> {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(map.entry(key).or_default())
}

pub struct IndexCache {
    pub client: IndexClient,
    pages: Mutex<HashMap<(String, String), Cell<PageResult>>>,
    releases: Mutex<HashMap<(String, String), Cell<ReleasesResult>>>,
    metadata: Mutex<HashMap<(String, String, Version), Cell<MetadataResult>>>,
    /// Projects fetched so far, drawn at a terminal.
    fetched: common::progress::ProgressBar,
}

impl IndexCache {
    pub fn new(client: IndexClient) -> Self {
        Self {
            client,
            pages: Mutex::default(),
            releases: Mutex::default(),
            metadata: Mutex::default(),
            fetched: common::progress::counter("projects fetched from the index"),
        }
    }

    /// The page of `project` on `index`.
    pub async fn page(&self, index: &str, project: &str) -> PageResult {
        let cell = cell(&self.pages, (index.to_owned(), normalize_name(project)));
        cell.get_or_init(|| async {
            let page = self.client.project_page(index, project).await.map(Arc::new);
            self.fetched.inc(1);
            page
        })
        .await
        .clone()
    }

    /// The page of `project` on `index` grouped by release (built once per page).
    pub async fn releases(&self, index: &str, project: &str) -> ReleasesResult {
        let cell = cell(&self.releases, (index.to_owned(), normalize_name(project)));
        cell.get_or_init(|| async {
            self.page(index, project)
                .await
                .map(|page| Arc::new(Releases::new(page)))
        })
        .await
        .clone()
    }

    /// The metadata of `project` `version` on `index`, read from the file that suits `env`
    /// best; `files` asks for the wheel's RECORD too.
    pub async fn metadata(
        &self,
        index: &str,
        project: &str,
        version: &Version,
        env: &TargetEnvironment,
        files: bool,
    ) -> MetadataResult {
        let key = (index.to_owned(), normalize_name(project), version.clone());
        let cell = cell(&self.metadata, key);
        cell.get_or_init(|| async {
            let releases = self
                .releases(index, project)
                .await
                .map_err(|e| Arc::new(e.into()))?;
            let candidates = releases.files_of(version);
            let chosen = acquire::choose(&candidates, env).ok_or_else(|| {
                Arc::new(AcquireError::Unavailable(format!(
                    "no wheel or sdist of {project} {version} on the index"
                )))
            })?;
            acquire::acquire(&self.client, chosen, project, version, files)
                .await
                .map(Arc::new)
                .map_err(Arc::new)
        })
        .await
        .clone()
    }
}
