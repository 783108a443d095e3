fn main() -> std::process::ExitCode {
    common::run::<buildlog_parser::cli::Cli, _, _>(
        &buildlog_parser::cli::INFO,
        buildlog_parser::analyze,
    )
}
