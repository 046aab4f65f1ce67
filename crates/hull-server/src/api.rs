//! The HTTP API (`/api/v1`, JSON) and the operational endpoints (`/healthz`, `/readyz`,
//! `/metrics`), with the OpenAPI 3.1 document generated from these handlers.
//!
//! One middleware authenticates every routed request (a bearer token looked up by its hash)
//! and, once answered, writes each mutating call to the audit log with the caller, the
//! action, the target, the client address and the status, denied calls included. Handlers
//! check the role they need and parse bodies themselves, so every error is JSON
//! (`{"error": …}`) with the status that says whose fault it is.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use hull_report::{Format, RenderOptions};
use hull_scan::options::{OpenOptions, Reference, SourceKind};
use hull_scan::{ScanPlan, Target};
use hull_types::{ScanReport, Scanner};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::auth::{self, Role};
use crate::store::{AuditEntry, FindingEvent, ImageRow, Job, JobState, StoreError, TokenRow};
use crate::webhook::{self, Notification};
use crate::worker::{self, store_scan};
use crate::{metrics, now, App};

/// Who is calling, as the middleware found out.
#[derive(Clone, Debug)]
enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A header with no live token behind it.
    Invalid,
    /// A live token.
    Token { name: String, role: Role },
}

impl Caller {
    fn name(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Invalid => "invalid-token",
            Caller::Token { name, .. } => name,
        }
    }

    /// The caller, if its token has at least `role`.
    fn need(&self, role: Role) -> Result<(), ApiError> {
        match self {
            Caller::Token { role: r, .. } if *r >= role => Ok(()),
            Caller::Token { .. } => Err(ApiError::Forbidden(role)),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// What a handler tells the audit middleware about its call.
#[derive(Clone, Debug)]
struct AuditNote {
    action: &'static str,
    target: String,
    /// Overrides the caller's name (the registry webhook authenticates by its secret).
    actor: Option<&'static str>,
}

fn noted(mut r: Response, action: &'static str, target: impl Into<String>) -> Response {
    r.extensions_mut().insert(AuditNote {
        action,
        target: target.into(),
        actor: None,
    });
    r
}

/// An error answer.
#[derive(Debug)]
enum ApiError {
    Unauthorized,
    Forbidden(Role),
    /// Refused for what was asked, not for who asked.
    Refused(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    Unavailable(String),
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Exists(what) => ApiError::Conflict(format!("{what} already exists")),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct ErrorBody {
    /// What went wrong.
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required".to_string(),
            ),
            ApiError::Forbidden(role) => (
                StatusCode::FORBIDDEN,
                format!("this needs a token with the {role} role"),
            ),
            ApiError::Refused(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        let mut r = (status, Json(ErrorBody { error: message })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        }
        r
    }
}

type Answer = Result<Response, ApiError>;

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}

/// The routes, their middleware and bounds.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/v1/scans", post(submit_scan))
        .route("/api/v1/scans/{id}", get(get_scan))
        .route("/api/v1/images", get(list_images))
        .route("/api/v1/images/{digest}", get(get_image))
        .route("/api/v1/images/{digest}/report", get(get_report))
        .route("/api/v1/sboms", post(post_sbom))
        .route("/api/v1/webhooks/registry", post(registry_webhook))
        .route("/api/v1/findings", get(list_findings))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/db/import", post(db_import))
        .route("/api/v1/tokens", post(create_token).get(list_tokens))
        .route("/api/v1/tokens/{name}", delete(revoke_token))
        .route("/api/v1/admission/decisions", get(list_decisions))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/v1/openapi.json", get(|| async { Json(openapi()) }))
        // The API server calls this at every admission: answered from stored evidence,
        // never audited (decisions have their own record), protected by TLS and the
        // network as Kubernetes webhooks are.
        .route("/api/v1/admission", post(admission_review))
        .merge(api)
        .route_layer(middleware::from_fn_with_state(app.clone(), observe))
        .layer(DefaultBodyLimit::max(app.config.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            app.config.request_timeout,
        ))
        .with_state(app)
}

/// Latency by route pattern.
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let method = req.method().to_string();
    let start = Instant::now();
    let r = next.run(req).await;
    app.metrics
        .http_seconds
        .get_or_create(&metrics::Route {
            route,
            method,
            status: format!("{}xx", r.status().as_u16() / 100),
        })
        .observe(start.elapsed().as_secs_f64());
    r
}

/// Finds the caller, runs the handler, audits mutating calls.
async fn authenticate(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => Caller::Anonymous,
        Some(h) => match auth::bearer(h) {
            None => Caller::Invalid,
            Some(token) => match app.store.token_by_hash(&auth::hash(token)).await {
                Ok(Some(t)) => Caller::Token {
                    name: t.name,
                    role: t.role,
                },
                _ => Caller::Invalid,
            },
        },
    };
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let path = req.uri().path().to_string();
    let method = req.method().to_string();
    req.extensions_mut().insert(caller.clone());
    let response = next.run(req).await;
    if mutating {
        let note = response.extensions().get::<AuditNote>().cloned();
        let entry = AuditEntry {
            at: now(),
            actor: note
                .as_ref()
                .and_then(|n| n.actor)
                .unwrap_or(caller.name())
                .to_string(),
            action: note
                .as_ref()
                .map_or_else(|| format!("{method} {route}"), |n| n.action.to_string()),
            target: note.map_or(path, |n| n.target),
            client: client.ip().to_string(),
            status: i64::from(response.status().as_u16()),
        };
        if app.store.audit(entry).await.is_err() {
            // An unaudited change must not look like a success.
            return ApiError::Internal("the audit log could not be written".into()).into_response();
        }
    }
    response
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let store = app.store.ping().await.map_err(|e| e.to_string());
    let path = app.config.advisory_db.clone();
    let db = tokio::task::spawn_blocking(move || worker::db_identity(&path))
        .await
        .unwrap_or_default();
    let ready = store.is_ok() && db != "none";
    let body = serde_json::json!({
        "store": store.err().unwrap_or_else(|| "ok".into()),
        "advisory_db": if db == "none" { "not open".to_string() } else { format!("built {db}") },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// `POST /scans`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanRequest {
    /// An image reference in a registry (`host/repo:tag` or `host/repo@sha256:…`).
    image: String,
}

/// A queued scan.
#[derive(Serialize, utoipa::ToSchema)]
struct Queued {
    /// The job id (`GET /scans/{id}`).
    id: String,
    /// The reference.
    image: String,
    /// False when a scan of the same reference was already queued or running (its id).
    new: bool,
}

/// A registry reference, refused when it does not parse (the server only reads registries)
/// or names a registry the server may not scan from.
fn registry_reference(app: &App, image: &str) -> Result<(), ApiError> {
    let r = Reference::parse(image).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !hull_policy::admission::registry_allowed(&app.config.allowed_registries, image) {
        return Err(ApiError::Refused(format!(
            "registry {} is not one this server scans from",
            r.registry
        )));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/scans", request_body = ScanRequest,
    responses((status = 202, body = Queued), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn submit_scan(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Answer {
    caller.need(Role::Scanner)?;
    let req: ScanRequest = json_body(&body)?;
    registry_reference(&app, &req.image)?;
    let (id, new) = app.store.enqueue(&req.image, now()).await?;
    app.wake.notify_waiters();
    let r = (
        StatusCode::ACCEPTED,
        Json(Queued {
            id,
            image: req.image.clone(),
            new,
        }),
    )
        .into_response();
    Ok(noted(r, "scan.submit", req.image))
}

#[utoipa::path(get, path = "/api/v1/scans/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_scan(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer {
    caller.need(Role::Viewer)?;
    match app.store.job(&id).await? {
        Some(j) => Ok(Json(j).into_response()),
        None => Err(ApiError::NotFound(format!("no scan {id}"))),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ImagesQuery {
    /// Only this repository (`host/path`).
    repository: Option<String>,
    /// The last digest of the previous page.
    after: Option<String>,
    /// Page size (default 100, at most 1000).
    limit: Option<i64>,
}

/// A page of images.
#[derive(Serialize, utoipa::ToSchema)]
struct ImagePage {
    /// By digest.
    images: Vec<ImageRow>,
    /// Pass as `after` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/images", params(ImagesQuery),
    responses((status = 200, body = ImagePage)), security(("bearer" = [])))]
async fn list_images(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ImagesQuery>,
) -> Answer {
    caller.need(Role::Viewer)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let images = app
        .store
        .images(q.repository.as_deref(), q.after.as_deref(), limit)
        .await?;
    let next = (images.len() as i64 == limit)
        .then(|| images.last().map(|i| i.digest.clone()))
        .flatten();
    Ok(Json(ImagePage { images, next }).into_response())
}

#[utoipa::path(get, path = "/api/v1/images/{digest}", params(("digest" = String, Path)),
    responses((status = 200, body = ImageRow), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_image(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(digest): Path<String>,
) -> Answer {
    caller.need(Role::Viewer)?;
    match app.store.image(&digest).await? {
        Some(row) => Ok(Json(row).into_response()),
        None => Err(ApiError::NotFound(format!("no image {digest}"))),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ReportQuery {
    /// json (default), sarif, cyclonedx, spdx, openvex, html, markdown, junit or table.
    format: Option<String>,
}

fn content_type(f: Format) -> &'static str {
    match f {
        Format::Json | Format::OpenVex => "application/json",
        Format::Sarif => "application/sarif+json",
        Format::CycloneDx => "application/vnd.cyclonedx+json",
        Format::Spdx => "application/spdx+json",
        Format::Html => "text/html; charset=utf-8",
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Junit => "application/xml",
        Format::Table => "text/plain; charset=utf-8",
    }
}

#[utoipa::path(get, path = "/api/v1/images/{digest}/report",
    params(("digest" = String, Path), ReportQuery),
    responses((status = 200, description = "The report in the asked format, judged by the server's policy now"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_report(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(digest): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Answer {
    caller.need(Role::Viewer)?;
    let format: Format = q
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(ApiError::BadRequest)?;
    let Some(json) = app.store.report(&digest).await? else {
        return Err(ApiError::NotFound(format!("no image {digest}")));
    };
    let app2 = app.clone();
    let body = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let report: ScanReport = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        let t = now();
        let judged = hull_policy::apply(report, &app2.config.policy, t);
        let opts = RenderOptions {
            color: false,
            now: t,
            tool_version: app2.config.version.clone(),
            list_packages: false,
            explain: false,
            note: None,
        };
        Ok(hull_report::render(&judged, format, &opts))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::Internal)?;
    Ok(([(header::CONTENT_TYPE, content_type(format))], body).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
struct SbomQuery {
    /// The image the SBOM describes, recorded as its reference.
    name: Option<String>,
}

/// A stored SBOM.
#[derive(Serialize, utoipa::ToSchema)]
struct Stored {
    /// `sbom:sha256:…` (of its inventory), or the image digest the SBOM names.
    digest: String,
    /// The policy's verdict.
    passed: bool,
}

#[utoipa::path(post, path = "/api/v1/sboms", params(SbomQuery),
    request_body(content = Object, description = "A CycloneDX or SPDX JSON document"),
    responses((status = 201, body = Stored), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
async fn post_sbom(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SbomQuery>,
    body: Bytes,
) -> Answer {
    caller.need(Role::Scanner)?;
    let db = app.config.advisory_db.clone();
    // The SBOM goes through the CLI's own reader: a file of a private temporary directory.
    let outcome = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let path = dir.path().join("sbom.json");
        std::fs::write(&path, &body).map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut plan = ScanPlan::new(Target::Image {
            target: path.display().to_string(),
            open: OpenOptions {
                kind: Some(SourceKind::Sbom),
                ..OpenOptions::default()
            },
        });
        plan.scanners = [Scanner::Vuln].into();
        plan.advisory_db = Some(db);
        plan.now = now();
        hull_scan::run(&plan, None).map_err(|e| match e.class() {
            // No advisory database yet: the server is not ready, the SBOM is fine.
            _ if matches!(e, hull_scan::ScanError::NoAdvisoryDb { .. }) => {
                ApiError::Unavailable(e.to_string())
            }
            hull_scan::ErrorClass::Input => {
                ApiError::BadRequest(e.to_string().replace(&path.display().to_string(), "body"))
            }
            hull_scan::ErrorClass::Usage => ApiError::Unavailable(e.to_string()),
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let name = q.name.unwrap_or_default();
    let (image, parts) = outcome.report.into_parts();
    let image = hull_types::ImageSummary {
        name: if name.is_empty() {
            "sbom".into()
        } else {
            name.clone()
        },
        ..image
    };
    let report = ScanReport::new(image, parts);
    let (digest, passed) = store_scan(&app, &name, report).await?;
    let r = (
        StatusCode::CREATED,
        Json(Stored {
            digest: digest.clone(),
            passed,
        }),
    )
        .into_response();
    Ok(noted(r, "sbom.submit", digest))
}

/// Scans a registry notification queued.
#[derive(Serialize, utoipa::ToSchema)]
struct WebhookQueued {
    /// One per manifest pushed.
    queued: Vec<Queued>,
}

#[utoipa::path(post, path = "/api/v1/webhooks/registry",
    request_body(content = Object, description = "A Distribution notification envelope or a Harbor PUSH_ARTIFACT event"),
    responses((status = 202, body = WebhookQueued), (status = 204, description = "Nothing hull acts on"),
              (status = 401, body = ErrorBody)),
    security(("webhook_secret" = [])))]
async fn registry_webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Answer {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| auth::bearer(v).unwrap_or(v));
    let authorized = match (&app.config.webhook_secret, given) {
        (Some(secret), Some(given)) => auth::same_secret(given, secret),
        _ => false,
    };
    let note = |mut r: Response, target: String| {
        r.extensions_mut().insert(AuditNote {
            action: "webhook.registry",
            target,
            actor: Some("registry-webhook"),
        });
        r
    };
    if !authorized {
        return Ok(note(ApiError::Unauthorized.into_response(), String::new()));
    }
    // Unknown events, blob-only envelopes and pushes to registries the server may not scan
    // from all queue nothing.
    let refs: Vec<String> = match webhook::parse(&body) {
        Notification::Pushed(refs) => refs
            .into_iter()
            .filter(|r| hull_policy::admission::registry_allowed(&app.config.allowed_registries, r))
            .collect(),
        Notification::Unknown => vec![],
    };
    if refs.is_empty() {
        return Ok(note(StatusCode::NO_CONTENT.into_response(), String::new()));
    }
    let mut queued = Vec::with_capacity(refs.len());
    for image in refs {
        let (id, new) = app.store.enqueue(&image, now()).await?;
        queued.push(Queued { id, image, new });
    }
    app.wake.notify_waiters();
    let target = queued
        .iter()
        .map(|q| q.image.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(note(
        (StatusCode::ACCEPTED, Json(WebhookQueued { queued })).into_response(),
        target,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct SinceQuery {
    /// Seconds since the epoch (default 0).
    since: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    limit: Option<i64>,
}

/// Findings that appeared or were resolved.
#[derive(Serialize, utoipa::ToSchema)]
struct FindingPage {
    /// Oldest first.
    findings: Vec<FindingEvent>,
}

#[utoipa::path(get, path = "/api/v1/findings", params(SinceQuery),
    responses((status = 200, body = FindingPage)), security(("bearer" = [])))]
async fn list_findings(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SinceQuery>,
) -> Answer {
    caller.need(Role::Viewer)?;
    let findings = app
        .store
        .findings_since(
            q.since.unwrap_or(0),
            q.limit.unwrap_or(1000).clamp(1, 10_000),
        )
        .await?;
    Ok(Json(FindingPage { findings }).into_response())
}

/// The audit log.
#[derive(Serialize, utoipa::ToSchema)]
struct AuditPage {
    /// Oldest first.
    entries: Vec<AuditEntry>,
}

#[utoipa::path(get, path = "/api/v1/audit", params(SinceQuery),
    responses((status = 200, body = AuditPage)), security(("bearer" = [])))]
async fn audit_log(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SinceQuery>,
) -> Answer {
    caller.need(Role::Admin)?;
    let entries = app
        .store
        .audit_log(
            q.since.unwrap_or(0),
            q.limit.unwrap_or(1000).clamp(1, 10_000),
        )
        .await?;
    Ok(Json(AuditPage { entries }).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ImportQuery {
    /// The source's name (`Debian`, `npm`, …): a later import of the same name replaces it.
    name: Option<String>,
}

/// What an import did.
#[derive(Serialize, utoipa::ToSchema)]
struct Imported {
    /// Advisories in the new database.
    advisories: u64,
    /// Malformed documents skipped.
    skipped: u64,
    /// The sources it was built from.
    sources: Vec<String>,
}

/// The directory of OSV zips the server's database is built from (`hull db update` keeps
/// its downloads there too).
fn sources_dir(db: &std::path::Path) -> std::path::PathBuf {
    db.with_file_name("osv")
}

#[utoipa::path(post, path = "/api/v1/db/import", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "An OSV all.zip"),
    responses((status = 200, body = Imported), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
async fn db_import(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Answer {
    caller.need(Role::Admin)?;
    let name = match q.name {
        Some(n)
            if !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b))
                && !n.starts_with('.') =>
        {
            n.replace(' ', "_")
        }
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "source name {n:?}: letters, digits, -_. only"
            )))
        }
        None => {
            use sha2::{Digest, Sha256};
            format!("upload-{}", &hex::encode(Sha256::digest(&body))[..16])
        }
    };
    if !body.starts_with(b"PK") {
        return Err(ApiError::BadRequest("the body is not a zip file".into()));
    }
    let db = app.config.advisory_db.clone();
    let target = name.clone();
    let imported = tokio::task::spawn_blocking(move || -> Result<Imported, ApiError> {
        let dir = sources_dir(&db);
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::Internal(e.to_string()))?;
        let file = dir.join(format!("{name}.zip"));
        let tmp = dir.join(format!(".{name}.zip.tmp"));
        std::fs::write(&tmp, &body).map_err(|e| ApiError::Internal(e.to_string()))?;
        let previous = std::fs::read(&file).ok();
        std::fs::rename(&tmp, &file).map_err(|e| ApiError::Internal(e.to_string()))?;
        let sources = hull_scan::db::downloaded(&dir);
        match hull_scan::db::Database::import(&db, &sources, now()) {
            Ok(r) => Ok(Imported {
                advisories: r.advisories,
                skipped: r.skipped,
                sources: sources
                    .iter()
                    .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                    .collect(),
            }),
            Err(e) => {
                // The database is unchanged (imports are atomic); so is the source set.
                match previous {
                    Some(b) => {
                        let _ = std::fs::write(&file, b);
                    }
                    None => {
                        let _ = std::fs::remove_file(&file);
                    }
                }
                Err(ApiError::BadRequest(e.to_string()))
            }
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    app.rematch.notify_one();
    Ok(noted(Json(imported).into_response(), "db.import", target))
}

/// `POST /tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    /// A unique name, shown in the audit log.
    name: String,
    /// viewer, scanner or admin.
    role: Role,
}

/// A new token: its secret is shown this once.
#[derive(Serialize, utoipa::ToSchema)]
struct NewToken {
    /// The stored token.
    #[serde(flatten)]
    row: TokenRow,
    /// The secret, for `Authorization: Bearer …`.
    token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_token(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Answer {
    caller.need(Role::Admin)?;
    let req: TokenRequest = json_body(&body)?;
    if req.name.is_empty() || req.name.len() > 128 || req.name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "a token name is 1 to 128 printable characters".into(),
        ));
    }
    let token = auth::generate();
    let row = app
        .store
        .create_token(&req.name, req.role, &auth::hash(&token), now())
        .await?;
    let r = (StatusCode::CREATED, Json(NewToken { row, token })).into_response();
    Ok(noted(
        r,
        "token.create",
        format!("{} ({})", req.name, req.role),
    ))
}

/// The tokens.
#[derive(Serialize, utoipa::ToSchema)]
struct TokenList {
    /// By name.
    tokens: Vec<TokenRow>,
}

#[utoipa::path(get, path = "/api/v1/tokens",
    responses((status = 200, body = TokenList)), security(("bearer" = [])))]
async fn list_tokens(State(app): State<Arc<App>>, Extension(caller): Extension<Caller>) -> Answer {
    caller.need(Role::Admin)?;
    Ok(Json(TokenList {
        tokens: app.store.tokens().await?,
    })
    .into_response())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{name}", params(("name" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn revoke_token(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Answer {
    caller.need(Role::Admin)?;
    if !app.store.revoke_token(&name, now()).await? {
        return Err(ApiError::NotFound(format!("no live token named {name:?}")));
    }
    Ok(noted(
        StatusCode::NO_CONTENT.into_response(),
        "token.revoke",
        name,
    ))
}

#[utoipa::path(post, path = "/api/v1/admission",
    request_body(content = Object, description = "An admission.k8s.io/v1 AdmissionReview"),
    responses((status = 200, description = "The AdmissionReview with its response"),
              (status = 400, body = ErrorBody)))]
async fn admission_review(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    match crate::admission::review(&app, &body).await {
        Ok(v) => Ok(Json(v).into_response()),
        Err(crate::admission::BadReview(m)) => Err(ApiError::BadRequest(m)),
    }
}

/// Admission decisions.
#[derive(Serialize, utoipa::ToSchema)]
struct DecisionPage {
    /// Oldest first.
    decisions: Vec<crate::store::Decision>,
}

#[utoipa::path(get, path = "/api/v1/admission/decisions", params(SinceQuery),
    responses((status = 200, body = DecisionPage)), security(("bearer" = [])))]
async fn list_decisions(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SinceQuery>,
) -> Answer {
    caller.need(Role::Viewer)?;
    let decisions = app
        .store
        .decisions(
            q.since.unwrap_or(0),
            q.limit.unwrap_or(1000).clamp(1, 10_000),
        )
        .await?;
    Ok(Json(DecisionPage { decisions }).into_response())
}

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "webhook_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("Authorization"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "hull server API", description = "Scans, images, reports, SBOMs, registry webhooks, findings, audit log, advisory database and tokens."),
    paths(submit_scan, get_scan, list_images, get_image, get_report, post_sbom, registry_webhook,
          list_findings, audit_log, db_import, create_token, list_tokens, revoke_token,
          admission_review, list_decisions),
    components(schemas(JobState, Role)),
    modifiers(&Security)
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of `/api/v1`, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
