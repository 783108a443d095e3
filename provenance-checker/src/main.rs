use std::cell::Cell;

fn main() -> std::process::ExitCode {
    // The runner exits 0 or 1 for a finished check; when no index answered at all the check
    // finished without knowing anything, which the README documents as exit 4 (network).
    let no_index_answered = Cell::new(false);
    let status = common::run_from::<provenance_checker::Cli, _, _>(
        &provenance_checker::INFO,
        std::env::args_os().collect(),
        |cli| {
            let analysis = provenance_checker::analyze(cli)?;
            no_index_answered.set(analysis.result.no_index_answered);
            Ok(analysis)
        },
    );
    provenance_checker::exit_status(status, no_index_answered.get()).into()
}
