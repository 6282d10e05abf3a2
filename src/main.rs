//! Entry point: parse the command line, set up logging, run.

use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    touchpoint::telemetry::init("info");
    let cli = touchpoint::cli::Cli::parse();
    match touchpoint::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
