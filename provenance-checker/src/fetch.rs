//! Asks every index the lock names about every package it pins: one request per (project,
//! index), all at once within the client's bound.

use std::collections::HashMap;

use common::AnalyzerError;
use common::index::{IndexClient, IndexClientOptions, IndexError, PageRequest, ProjectPage};

use crate::lock::Lock;

/// What one index said about one project.
#[derive(Debug, Clone)]
pub enum Answer {
    Page(ProjectPage),
    NotFound,
    Unreachable(String),
}

/// Answers keyed by (source name, normalised project name).
pub type Answers = HashMap<(String, String), Answer>;

/// Whether no index answered at all: every request failed (none was a page or a 404). The
/// check then says nothing about provenance, and the run exits 4 (network).
pub fn none_answered(answers: &Answers) -> bool {
    !answers.is_empty()
        && answers
            .values()
            .all(|a| matches!(a, Answer::Unreachable(_)))
}

/// The packages worth asking about: pinned, from an index, with a valid PEP 508 name (the
/// normalised name becomes a path segment of the request URL; an invalid one is a finding,
/// never a request).
pub fn checked_names(lock: &Lock) -> Vec<String> {
    let mut names: Vec<String> = lock
        .packages
        .iter()
        .filter(|p| !p.direct && p.version.is_some())
        .filter_map(|p| p.project().ok())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The pages of `requests`, with a bar of pages answered at a terminal. Each request is a task;
/// the client's own bound keeps the concurrency.
async fn pages_with_progress(
    client: &IndexClient,
    requests: Vec<PageRequest>,
) -> Result<Vec<(PageRequest, Result<ProjectPage, IndexError>)>, AnalyzerError> {
    let progress = common::progress::bar(requests.len() as u64, "index pages checked");
    let mut tasks = tokio::task::JoinSet::new();
    for request in requests {
        let client = client.clone();
        tasks.spawn(async move {
            let page = client
                .project_page(&request.index_url, &request.project)
                .await;
            (request, page)
        });
    }
    let mut answers = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        let answer =
            joined.map_err(|e| AnalyzerError::internal(format!("an index request failed: {e}")))?;
        answers.push(answer);
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(answers)
}

/// Fetches the pages; returns them and the number of requests made.
pub fn fetch(lock: &Lock, concurrency: usize) -> Result<(Answers, u64), AnalyzerError> {
    let names = checked_names(lock);
    let mut requests = Vec::new();
    let mut by_request = HashMap::new();
    for source in &lock.sources {
        for name in &names {
            let request = PageRequest {
                index_url: source.url.expose().to_owned(),
                project: name.clone(),
            };
            by_request.insert(request.clone(), (source.name.clone(), name.clone()));
            requests.push(request);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the async runtime: {e}")))?;
    let client = IndexClient::new(IndexClientOptions {
        concurrency,
        ..IndexClientOptions::default()
    })
    .map_err(AnalyzerError::from)?;
    let answers = runtime.block_on(pages_with_progress(&client, requests))?;
    let mut out = HashMap::new();
    for (request, result) in answers {
        let answer = match result {
            Ok(page) => Answer::Page(page),
            Err(e) if e.is_not_found() => Answer::NotFound,
            Err(IndexError::Config(message)) => {
                return Err(AnalyzerError::input(format!(
                    "a source of the lock: {message}"
                )));
            }
            Err(e) => Answer::Unreachable(e.to_string()),
        };
        if let Some(key) = by_request.remove(&request) {
            out.insert(key, answer);
        }
    }
    Ok((out, client.requests_made()))
}
