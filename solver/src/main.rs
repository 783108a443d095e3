fn main() -> std::process::ExitCode {
    common::run::<solver::Cli, _, _>(&solver::INFO, solver::analyze)
}
