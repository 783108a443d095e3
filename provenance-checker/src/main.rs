fn main() -> std::process::ExitCode {
    common::run::<provenance_checker::Cli, _, _>(
        &provenance_checker::INFO,
        provenance_checker::analyze,
    )
}
