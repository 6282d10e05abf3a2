//! Building and running the application: store, enrichment, writer, HTTP
//! server and scheduler. The listener is bound here, so port 0 works and tests
//! learn the real port without races.

use std::{collections::HashMap, net::TcpListener, sync::Arc, thread::JoinHandle, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use arc_swap::ArcSwap;

use crate::{
    auth::Auth,
    clock::Clock,
    config::{EventsEngine, Settings},
    geo::GeoLookup,
    ingest::{
        enrich::Enricher,
        useragent::UaClassifier,
        visitor::SaltKeeper,
        writer::{self, WriterConfig, WriterHandle},
    },
    metrics::Metrics,
    store::{Site, Store, clickhouse::ClickHouse},
};

/// Opens the store in the data directory and, with `events.engine =
/// "clickhouse"`, connects it to ClickHouse (creating the database and
/// applying migrations).
///
/// # Errors
/// The store can't be opened, or ClickHouse can't be reached or migrated.
pub fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    use anyhow::Context;
    let mut store = Store::open_with_cache(
        &settings.storage.data_dir,
        settings.storage.cache_mb.max(1) << 20,
    )?;
    store.set_min_free_bytes(settings.storage.min_free_mb.saturating_mul(1 << 20));
    store.set_report_memory_limit(settings.storage.max_report_mb.saturating_mul(1 << 20));
    if settings.events.engine == EventsEngine::Clickhouse {
        let cfg = settings.clickhouse.to_config();
        let ch = ClickHouse::connect(cfg.clone()).with_context(|| {
            format!(
                "events.engine is \"clickhouse\": cannot use database {} at {}",
                cfg.database, cfg.url
            )
        })?;
        tracing::info!(url = %cfg.url, database = %cfg.database, "visits and events on ClickHouse");
        store.use_clickhouse(Arc::new(ch));
    }
    Ok(store)
}

/// Shared by every request handler.
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The ingest queue.
    pub writer: WriterHandle,
    /// Enrichment parts.
    pub enricher: Enricher,
    /// Sites by domain, for the hot path.
    pub sites: ArcSwap<HashMap<String, Site>>,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Time source.
    pub clock: Clock,
    /// Accounts, logins and keys.
    pub auth: Arc<Auth>,
    /// Where it listens: `http://host:port` (the bound port, also with port 0).
    pub url: String,
    /// Connections open now (`server.max_connections` refuses beyond it).
    pub connections: crate::connection_limit::OpenConnections,
    /// `/healthz`'s probe thread.
    pub health: crate::health::Prober,
}

impl AppState {
    /// What mail sending needs, with links to `server.public_url` or else
    /// to this server's address.
    #[must_use]
    pub fn outbox(&self) -> crate::mail::Outbox {
        crate::mail::Outbox {
            store: self.store.clone(),
            keys: self.auth.keys.clone(),
            settings: self.settings.clone(),
            base_url: crate::mail::links_base(&self.settings, &self.url),
        }
    }
}

impl AppState {
    /// Re-reads sites from the store (after a site is added while running).
    ///
    /// # Errors
    /// Storage errors.
    pub fn reload_sites(&self) -> Result<(), crate::store::StoreError> {
        let map = crate::segment::ensure_write_keys(&self.store)?
            .into_iter()
            .map(|s| (s.domain.as_str().to_owned(), s))
            .collect();
        self.sites.store(Arc::new(map));
        Ok(())
    }
}

/// A built, not yet running, application.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    writer_thread: JoinHandle<()>,
    salts: Arc<SaltKeeper>,
}

impl Application {
    /// Builds with the system clock.
    ///
    /// # Errors
    /// Store, geo database, bind or writer start failures, each with context.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::System)
    }

    /// Builds with a given clock (tests and benches use a manual one).
    ///
    /// # Errors
    /// As [`Application::build`].
    pub fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        use anyhow::Context;
        let settings = Arc::new(settings);
        let store = open_store(&settings)?;
        let keys = Arc::new(crate::privacy::rekey::open_keys(&settings, &store)?);
        let auth = Arc::new(Auth::new(
            store.clone(),
            keys.clone(),
            settings.auth.clone(),
        )?);
        if settings.mail.enabled() && settings.server.public_origin().is_none() {
            tracing::warn!(
                "mail is on but server.public_url is not set: links in reports (unsubscribe too) point at the listen address; set server.public_url to the address people open"
            );
        }
        let geo = GeoLookup::from_config(&settings.geoip.database)?;
        tracing::info!(geo = geo.description(), "geolocation ready");
        let now = clock.now_ms();
        let salts = SaltKeeper::load(store.clone(), keys.clone(), now)?;
        let metrics = Arc::new(Metrics::default());
        let (writer, writer_thread) = writer::spawn(
            &store,
            WriterConfig {
                batch_size: settings.ingest.batch_size,
                flush_interval: Duration::from_millis(match settings.events.engine {
                    EventsEngine::Embedded => settings.ingest.flush_interval_ms,
                    EventsEngine::Clickhouse => settings
                        .ingest
                        .flush_interval_ms
                        .max(settings.clickhouse.flush_interval_ms),
                }),
                queue_capacity: settings.ingest.queue_capacity,
                queue_bytes: usize::try_from(settings.ingest.queue_mb)
                    .unwrap_or(usize::MAX)
                    .saturating_mul(1 << 20),
                max_open_visits: settings.ingest.max_open_visits,
            },
            metrics.clone(),
            now,
        )?;
        let listener = TcpListener::bind(settings.server.listen)
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let addr = listener.local_addr()?;
        let health = crate::health::Prober::start(store.clone())
            .context("cannot start the health probe thread")?;
        let state = web::Data::new(AppState {
            store,
            writer,
            enricher: Enricher {
                geo: Arc::new(geo),
                ua: Arc::new(UaClassifier::new()),
                salts: salts.clone(),
            },
            sites: ArcSwap::from_pointee(HashMap::new()),
            settings: settings.clone(),
            metrics,
            clock,
            auth,
            url: http_url(addr),
            connections: crate::connection_limit::OpenConnections::default(),
            health,
        });
        state.reload_sites()?;
        let data = state.clone();
        let body_limit = settings.ingest.max_body_bytes.max(64 * 1024);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .wrap(middleware::from_fn(crate::dashboard::in_context))
                .wrap(middleware::from_fn(crate::body_timeout::limit))
                .wrap(middleware::from_fn(
                    crate::connection_limit::refuse_beyond_limit,
                ))
                .wrap(middleware::from_fn(crate::security_headers::add))
                .wrap(
                    middleware::DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .configure(crate::tracker::routes)
                .configure(crate::segment::routes)
                .configure(crate::dashboard::routes)
                .configure(crate::api::routes)
                .configure(crate::hooks::routes)
                .configure(crate::ops::routes)
                .configure(crate::cli::admin::routes)
        })
        .shutdown_timeout(10)
        .on_connect({
            let open = state.connections.clone();
            move |io, data| open.on_connect(io, data)
        })
        .max_connections(per_worker_connections(settings.server.max_connections))
        .worker_max_blocking_threads(blocking_threads_per_worker())
        .listen(listener)?;
        // `site`, `goal`, `apikey` and `workspace` commands reach the running
        // server here (see `cli::admin`).
        #[cfg(unix)]
        let server = {
            let path = crate::cli::admin::prepare_socket(&settings.storage.data_dir)?;
            let server = server
                .bind_uds(&path)
                .with_context(|| format!("cannot make the admin socket {}", path.display()))?;
            crate::cli::admin::restrict(&path)?;
            server
        };
        let server = server.run();
        Ok(Self {
            port: addr.port(),
            server,
            state,
            writer_thread,
            salts,
        })
    }

    /// The bound port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://host:port`.
    #[must_use]
    pub fn url(&self) -> String {
        self.state.url.clone()
    }

    /// The one-time setup URL while the instance has no users: on
    /// `server.public_url` when configured, else on the listen address.
    #[must_use]
    pub fn setup_url(&self) -> Option<String> {
        let base = self
            .state
            .settings
            .server
            .public_origin()
            .map_or_else(|| self.url(), str::to_owned);
        self.state
            .auth
            .setup_token()
            .map(|t| format!("{base}/setup?token={t}"))
    }

    /// A handle that stops the server gracefully (as SIGTERM would).
    #[must_use]
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Shared state (tests use it to add sites and drive jobs).
    #[must_use]
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Salt keeper (tests drive rotation through it).
    #[must_use]
    pub fn salts(&self) -> Arc<SaltKeeper> {
        self.salts.clone()
    }

    /// Serves until SIGTERM / ctrl-c (actix handles both), then stops taking
    /// events, lets the writer commit everything queued, and returns.
    ///
    /// # Errors
    /// Server or scheduler failures.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let mut sched = crate::jobs::start(
            &self.state.settings,
            self.state.store.clone(),
            self.state.auth.clone(),
            self.salts.clone(),
            self.state.clock.clone(),
            Some(self.state.outbox()),
        )
        .await?;
        let webhooks = crate::webhooks::start(
            self.state.store.clone(),
            self.state.auth.keys.clone(),
            self.state.settings.webhooks.clone(),
            self.state.clock.clone(),
        );
        let res = self.server.await;
        webhooks.abort();
        // The admin socket goes with the server (a killed one leaves it;
        // the next start replaces it).
        #[cfg(unix)]
        let _ = std::fs::remove_file(crate::cli::admin::socket_path(
            &self.state.settings.storage.data_dir,
        ));
        sched.shutdown().await.ok();
        self.state.writer.close();
        let writer = self.writer_thread;
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .ok();
        tracing::info!("stopped");
        res.map_err(Into::into)
    }
}

/// `http://host:port` of a bound address (IPv6 in brackets).
fn http_url(addr: std::net::SocketAddr) -> String {
    if addr.is_ipv6() {
        format!("http://[{}]:{}", addr.ip(), addr.port())
    } else {
        format!("http://{}:{}", addr.ip(), addr.port())
    }
}

/// Threads each HTTP worker runs blocking work on (store reads, reports,
/// password checks, exports): twice the report slots, at least 8. Work past
/// it waits in the worker's queue, holding no thread. Reports and password
/// checks take turns anyway (`stats::gate`, `auth::password`), but each one
/// waiting held a thread: 300 reports at once made ~300 threads and took the
/// process from 70 to 265 MB, each thread keeping its allocator cache
/// (BENCHMARKS.md, "Blocking threads"). `/healthz` doesn't use this pool.
#[must_use]
pub fn blocking_threads_per_worker() -> usize {
    (2 * crate::stats::gate::slots()).max(8)
}

/// Connections each worker accepts before the rest wait in the listen
/// backlog, after raising the open-file limit to the system's hard limit:
/// the total stays a few hundred below it (the store, the log and outgoing
/// connections need some). `server.max_connections` refuses requests
/// before this (see `connection_limit`).
fn per_worker_connections(max_connections: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let total = usize::try_from(limit.saturating_sub(256))
        .unwrap_or(usize::MAX)
        .max(64);
    if max_connections > total {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "server.max_connections is above what the open-file limit allows: beyond {total} connections wait in the listen backlog"
        );
    }
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (total / workers).max(1)
}
