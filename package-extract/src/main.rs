fn main() -> std::process::ExitCode {
    common::run::<package_extract::Cli, _, _>(&package_extract::INFO, package_extract::analyze)
}
