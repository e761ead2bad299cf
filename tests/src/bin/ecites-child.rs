//! The `ecites` command built into the test crate, so tests can run it as a separate process
//! (and kill it with SIGKILL mid-way).

fn main() -> std::process::ExitCode {
    ecites::cli::main()
}
