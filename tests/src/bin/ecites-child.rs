//! The `ecites` command built into the test crate, so tests can run it as a separate process
//! (and kill it with SIGKILL mid-way).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut out = std::io::stdout().lock();
    match ecites::cli::run(args, &mut out) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
