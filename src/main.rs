//! The `ecites` command: a thin wrapper over [`ecites::cli`].

fn main() -> std::process::ExitCode {
    ecites::cli::main()
}
