//! `-t/--timeout`: a bound on the whole analysis.

use std::time::Duration;

use crate::error::AnalyzerError;
use crate::exit::ErrorKind;

/// Runs `work` on its own thread and waits at most `timeout` for it. On expiry the work is
/// abandoned (the process writes its failure document and exits, which ends the thread).
pub fn run_with_deadline<T, F>(timeout: Option<Duration>, work: F) -> Result<T, AnalyzerError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AnalyzerError> + Send + 'static,
{
    let Some(timeout) = timeout else {
        return work();
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("analysis".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(outcome);
        })
        .map_err(|e| AnalyzerError::internal(format!("cannot start the analysis thread: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(result)) => {
            let _ = worker.join();
            result
        }
        // Re-raise on this thread so the harness reports it like any other panic.
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(AnalyzerError::new(
            ErrorKind::Timeout,
            format!(
                "the analysis did not finish within {} seconds",
                timeout.as_secs()
            ),
        )
        .with_hint("raise -t/--timeout, or check that the source answers")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finishes_or_times_out() {
        assert_eq!(run_with_deadline(None, || Ok(1)).expect("ok"), 1);
        assert_eq!(
            run_with_deadline(Some(Duration::from_secs(5)), || Ok(2)).expect("ok"),
            2
        );
        let err = run_with_deadline(Some(Duration::from_millis(50)), || {
            std::thread::sleep(Duration::from_secs(2));
            Ok(3)
        })
        .expect_err("times out");
        assert_eq!(err.kind, ErrorKind::Timeout);
    }
}
