//! Entry point: parse the command line, set up logging, run.

use clap::Parser;

/// jemalloc rather than glibc's malloc: in one run of `scripts/overload.sh`
/// it held the peak after all-time queries to 338 MB instead of 568 MB
/// (glibc keeps freed memory in per-thread arenas) and accepted more events
/// in the same time (BENCHMARKS.md, memory).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
