//! The baseline for the ingest benchmark: an actix-web server whose
//! `POST /api/event` reads the body and answers 202, doing nothing else.
//! `scripts/load.sh` runs it beside Touchpoint so the ratio is measured in one run.

use actix_web::{App, HttpResponse, HttpServer, web};

async fn event(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Accepted().body("ok")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    let listener = std::net::TcpListener::bind(&addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    HttpServer::new(|| App::new().route("/api/event", web::post().to(event)))
        .listen(listener)?
        .run()
        .await
}
