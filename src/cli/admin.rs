//! The admin socket: while the server runs, it owns the store, so `site`,
//! `goal`, `apikey` and `workspace` commands are handed to it over a Unix
//! socket in the data directory (`<data_dir>/touchpoint.sock`, mode 0600)
//! and run there, with the same output. Who may use the socket is who may
//! write the data directory: the same people who could run the command with
//! the server stopped. Requests that don't come over the socket are refused.
//!
//! The wire: `POST /admin/cli` with `{"args": [...]}` (the command line
//! after the program name); the answer is `{"output": "...", "error":
//! null | "..."}`.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use clap::Parser;
use serde_json::{Value, json};

use super::{Cli, Command, manage};
use crate::{config::Settings, startup::AppState};

/// The socket's file name in the data directory.
pub const SOCKET_FILE: &str = "touchpoint.sock";

/// The socket of a data directory.
#[must_use]
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// When a server runs on this data directory: hands it this process's
/// command line and returns what the command printed. `None` when no
/// server listens (the caller opens the store itself).
///
/// # Errors
/// The command's own failure (as the server reports it), or a broken answer.
#[cfg(unix)]
pub fn forward(settings: &Settings, args: &[String]) -> anyhow::Result<Option<String>> {
    let path = socket_path(&settings.storage.data_dir);
    let Ok(mut conn) = std::os::unix::net::UnixStream::connect(&path) else {
        return Ok(None);
    };
    let body = json!({ "args": args }).to_string();
    write!(
        conn,
        "POST /admin/cli HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .and_then(|()| conn.flush())
    .with_context(|| format!("sending the command to the server at {}", path.display()))?;
    let mut raw = String::new();
    conn.read_to_string(&mut raw)
        .with_context(|| format!("reading the server's answer from {}", path.display()))?;
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let answer: Value = serde_json::from_str(body)
        .with_context(|| format!("the server at {} answered {raw:?}", path.display()))?;
    let output = answer["output"].as_str().unwrap_or_default().to_owned();
    if let Some(e) = answer["error"].as_str() {
        print!("{output}");
        anyhow::bail!("{e}");
    }
    Ok(Some(output))
}

/// Without Unix sockets, commands always open the store themselves.
///
/// # Errors
/// Never.
#[cfg(not(unix))]
pub fn forward(_settings: &Settings, _args: &[String]) -> anyhow::Result<Option<String>> {
    Ok(None)
}

/// Routes of the admin socket.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/cli", web::post().to(command));
}

#[derive(serde::Deserialize)]
struct Request {
    args: Vec<String>,
}

/// `POST /admin/cli`, over the socket only: a TCP request has a peer
/// address, one over a Unix socket has none.
async fn command(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Request>,
) -> HttpResponse {
    if req.peer_addr().is_some() {
        return HttpResponse::NotFound().finish();
    }
    let argv = std::iter::once("touchpoint".to_owned()).chain(body.into_inner().args);
    let managed = match Cli::try_parse_from(argv) {
        Ok(cli) => match cli.command {
            Command::Site { action } => manage::Managed::Site(action),
            Command::Goal { action } => manage::Managed::Goal(action),
            Command::Apikey { action } => manage::Managed::Apikey(action),
            Command::Workspace { action } => manage::Managed::Workspace(action),
            Command::Export {
                domain,
                format,
                output,
                from,
                to,
            } => manage::Managed::Export(super::exchange::Export {
                domain,
                format,
                output,
                from,
                to,
            }),
            Command::Import { domain, files } => {
                manage::Managed::Import(super::exchange::Import { domain, files })
            }
            Command::Spend { action } => manage::Managed::Spend(action),
            Command::Webhook { action } => manage::Managed::Webhook(action),
            Command::Report { action } => manage::Managed::Report(action),
            Command::Backup { path, with_key } => {
                manage::Managed::Backup(super::backup::Backup { path, with_key })
            }
            _ => {
                return HttpResponse::BadRequest().json(json!({"output": "",
                    "error": "only site, goal, apikey, workspace, export, import, spend, webhook, report and backup commands run while the server runs; stop it for this one"}));
            }
        },
        Err(e) => {
            return HttpResponse::BadRequest().json(json!({"output": "", "error": e.to_string()}));
        }
    };
    let ctx = manage::Ctx {
        store: state.store.clone(),
        auth: state.auth.clone(),
        settings: state.settings.clone(),
        state: Some(state.clone()),
    };
    let ran = web::block(move || {
        let mut out = String::new();
        let res = manage::run(&ctx, managed, &mut out);
        (out, res.err().map(|e| format!("{e:#}")))
    })
    .await;
    match ran {
        Ok((output, error)) => HttpResponse::Ok().json(json!({"output": output, "error": error})),
        Err(e) => {
            HttpResponse::InternalServerError().json(json!({"output": "", "error": e.to_string()}))
        }
    }
}

/// Where the admin socket goes: its path, with a stale file from an
/// earlier run removed.
///
/// # Errors
/// When the stale file can't be removed.
pub fn prepare_socket(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let path = socket_path(data_dir);
    if path.exists() {
        std::fs::remove_file(&path)
            .with_context(|| format!("removing the stale admin socket {}", path.display()))?;
    }
    Ok(path)
}

/// Makes the bound socket readable and writable by its owner only.
///
/// # Errors
/// When its mode can't be set.
#[cfg(unix)]
pub fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting the admin socket {}", path.display()))
}
