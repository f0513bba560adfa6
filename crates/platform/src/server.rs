//! Builds and runs a service's HTTP server with everything every service shares: auth, problem+json
//! for framework errors, body limits, request tracing, idempotency, health, metrics, the OpenAPI
//! document and its offline docs page.

use std::net::TcpListener;

use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, ResponseError,
    dev::Server,
    error::{PathError, QueryPayloadError},
    middleware::{self, from_fn},
    web,
};
use utoipa::openapi::{
    OpenApi,
    security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_actix_web::{AppExt, service_config::ServiceConfig};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth::TokenVerifier,
    cache,
    config::ServiceSettings,
    context,
    db::{Db, DbConnection, DbError, Migrations},
    error::{ApiError, ErrorCode},
    guard, health, idempotency,
};

/// What a service contributes: its name, its migrations and its routes.
#[derive(Clone, Copy)]
pub struct ServiceDef {
    pub name: &'static str,
    pub version: &'static str,
    /// Where `groupbuy up` serves it, named as the document's server.
    pub default_port: u16,
    pub description: &'static str,
    /// The service's migration sets, applied in order after the platform's own.
    pub migrations: &'static [Migrations],
    pub routes: fn(&mut ServiceConfig),
    /// Deletes the service's own rows past their retention (delivered outbox events, webhook ids
    /// seen, answered operations); run hourly beside the platform's purges. Returns how many went.
    pub purge: fn(&mut DbConnection) -> Result<usize, DbError>,
    /// The events the service sends through its outbox, documented as webhooks.
    pub events: fn() -> Vec<crate::openapi::EventDoc>,
    /// Whether the platform's `Idempotency-Key` middleware handles POSTs. A service that records
    /// its effects and their keys in one transaction (payments) turns it off.
    pub idempotency_middleware: bool,
    /// The POSTs counted against a rate limit (`GET /v1/…` always are), by the document's path.
    pub limited_writes: &'static [crate::rate_limit::LimitedWrite],
}

/// The service's OpenAPI 3.1 document, generated from its real handlers.
pub fn openapi(def: &ServiceDef) -> OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .configure(def.routes)
        .service(health::live)
        .service(health::ready)
        .split_for_parts();
    api.info.title = format!("groupbuy {}", def.name);
    api.info.version = def.version.to_owned();
    api.info.description = Some(def.description.to_owned());
    api.info.license = Some(utoipa::openapi::LicenseBuilder::new().name("MIT").identifier(Some("MIT")).build());
    api.info.contact = None;
    api.servers = Some(vec![
        utoipa::openapi::server::ServerBuilder::new()
            .url(format!("http://127.0.0.1:{}", def.default_port))
            .description(Some("`groupbuy up` on this machine"))
            .build(),
    ]);
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    crate::openapi::complete_operations(&mut api, def.limited_writes);
    crate::openapi::add_webhooks(&mut api, &(def.events)());
    api
}

/// A bound, not yet running, service.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    purge: fn(&mut DbConnection) -> Result<usize, DbError>,
}

impl Application {
    /// Connects the database (migrating it), binds the listener (port 0 picks a free one) and
    /// builds the server.
    pub async fn build(def: ServiceDef, settings: ServiceSettings) -> anyhow::Result<Self> {
        Self::build_with(def, settings, |_| {}).await
    }

    /// Like [`build`](Self::build), with the service's own shared state: `state` registers app
    /// data (a provider client, settings) on every worker.
    pub async fn build_with<S>(def: ServiceDef, settings: ServiceSettings, state: S) -> anyhow::Result<Self>
    where
        S: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let verifier = web::Data::new(TokenVerifier::from_settings(&settings.auth)?);
        let db = Db::connect(&settings.database, def.migrations).await?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        // Every unknown path shares one label: a scan of random paths must not grow the registry.
        let metrics = actix_web_prom::PrometheusMetricsBuilder::new(&def.name.replace('-', "_"))
            .endpoint(guard::METRICS_PATH)
            .mask_unmatched_patterns("unmatched")
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let api = openapi(&def);
        let routes = web::Data::new(crate::openapi::RouteTable::from_document(&api));
        // The document is kept once, as the bytes served: a copy of the struct per worker (as the
        // docs page would register it) costs megabytes of the footprint target.
        let document = web::Bytes::from(api.to_json()?);
        drop(api);
        let body_limit = settings.limits.body_bytes;
        let metrics_private = !settings.metrics.public;
        let cors_origins = settings.server.cors_origins.clone();
        let db_data = web::Data::new(db.clone());
        let rate_limits = web::Data::new(crate::rate_limit::RateLimits::new(&settings.limits, def.limited_writes));

        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .configure(state.clone())
                .app_data(db_data.clone())
                .app_data(routes.clone())
                .app_data(verifier.clone())
                .app_data(rate_limits.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .into_utoipa_app()
                .configure(def.routes)
                .service(health::live)
                .service(health::ready)
                .split_for_parts();
            let document = document.clone();
            app.service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/openapi.json"])))
                .route(
                    "/openapi.json",
                    web::get().to(move || {
                        let document = document.clone();
                        async move { HttpResponse::Ok().content_type("application/json").body(document) }
                    }),
                )
                .route("/docs", web::get().to(redirect_to_docs))
                .default_service(web::to(unknown_route))
                .wrap(from_fn(guard::problems_only))
                .wrap(from_fn(cache::conditional_reads))
                .wrap(middleware::Condition::new(def.idempotency_middleware, from_fn(idempotency::idempotent_posts)))
                // Outside the Idempotency-Key middleware: a refused request claims no key.
                .wrap(from_fn(crate::rate_limit::limit))
                .wrap(metrics.clone())
                .wrap(middleware::Condition::new(metrics_private, from_fn(guard::private_metrics)))
                .wrap(from_fn(context::trace_requests))
                .wrap(middleware::Condition::new(!cors_origins.trim().is_empty(), cors(&cors_origins)))
        })
        .listen(listener)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.disable_signals().shutdown_timeout(5).run();
        tracing::info!(service = def.name, port, "listening");
        Ok(Self { port, server, db, purge: def.purge })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until the server stops or Ctrl-C / SIGTERM arrives, beating this process's heartbeat
    /// every second and purging expired idempotency keys hourly meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let purge = tokio::spawn(purge_hourly(self.db.clone(), self.purge));
        let heartbeat = tokio::spawn(heartbeat(self.db.clone()));
        let stop = tokio::spawn(async move {
            shutdown_signal().await;
            handle.stop(true).await;
        });
        let result = self.server.await;
        purge.abort();
        heartbeat.abort();
        stop.abort();
        result
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Says this process is alive, so that its requests in flight are not taken over.
async fn heartbeat(db: Db) {
    let mut every = tokio::time::interval(crate::instance::HEARTBEAT);
    loop {
        every.tick().await;
        let (id, now) = (db.instance().to_owned(), db.clock().now());
        if let Err(e) = db.transaction(move |conn| crate::instance::beat(conn, &id, now)).await {
            tracing::warn!(error.cause = %e, "heartbeat failed");
        }
    }
}

/// Hourly: expired idempotency keys, dead processes, and the service's own rows past retention.
async fn purge_hourly(db: Db, service_purge: fn(&mut DbConnection) -> Result<usize, DbError>) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let now = db.clock().now();
        let purged = db
            .transaction(move |conn| {
                let mut purged = idempotency::purge_expired(conn, now)?;
                purged += crate::instance::purge_dead(conn, now)?;
                purged += service_purge(conn)?;
                Ok::<_, DbError>(purged)
            })
            .await;
        match purged {
            Ok(n) => tracing::debug!(purged = n, "rows past retention purged"),
            Err(e) => tracing::warn!(error.cause = %e, "could not purge rows past retention"),
        }
    }
}

fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    // `GET /v1/payments/charges` reaches `GET /v1/payments/{id}` and fails there: the path exists,
    // the method does not.
    let response = match wrong_method(req) {
        Some(response) => response,
        None => ApiError::new(ErrorCode::NotFound, format!("no such resource ({err})")).error_response(),
    };
    actix_web::error::InternalError::from_response(err, response).into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api_error = ApiError::malformed(format!("invalid query: {err}"));
    actix_web::error::InternalError::from_response(err, api_error.error_response()).into()
}

/// A 405 with `Allow` where the path exists with other methods, else a 404.
async fn unknown_route(req: HttpRequest) -> HttpResponse {
    wrong_method(&req).unwrap_or_else(|| {
        ApiError::new(ErrorCode::NotFound, format!("no route for {} {}", req.method(), req.path())).error_response()
    })
}

/// A 405 naming the allowed methods, when the documented path exists without this method.
fn wrong_method(req: &HttpRequest) -> Option<HttpResponse> {
    let allowed = req.app_data::<web::Data<crate::openapi::RouteTable>>()?.allowed(req.path())?;
    if allowed.contains(req.method()) {
        return None;
    }
    let allow = allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ");
    let mut response =
        ApiError::new(ErrorCode::MethodNotAllowed, format!("{} allows {allow}", req.path())).error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    Some(response)
}

/// Lets browser pages of `origins` (comma-separated, or `*`) call the API with a bearer token and
/// read what a storefront needs of the answer (ETag, Location, Retry-After).
fn cors(origins: &str) -> actix_cors::Cors {
    use actix_web::http::{Method, header};
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
        .max_age(600);
    for origin in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("location", "/docs/")).finish()
}
