//! Admin HTTP on `stats_listen` (C Dynomite's stats port): every C path (`/info`,
//! `/cluster_describe`, `/get_consistency`, `/set_consistency/{read|write}/{level}`,
//! `/get_timeout_factor`, `/set_timeout_factor/N`, `/setloglevel/N`, `/loglevelup`, `/logleveldown`,
//! `/historeset`, `/peer/{up|down|reset}/{peer|all}`, `/state/...`, `/read_repairs/{enable|disable}`,
//! `/ping`, `/help`) and ours: `/metrics` (Prometheus), `/ring` (for `dynomite status`), `/repair/...`.
//!
//! - [`route`]: method and path → typed endpoint or an error naming what was wrong (pure, unit tested).
//! - [`respond`]: runs the endpoint against the node and builds the body (C's texts and JSON shapes).
//! - [`prometheus`]: the `/metrics` text exposition; [`ring`]: the `/ring` document.
//! - [`client`]: the CLI's side (a minimal HTTP/1.1 client for `dynomite status`).
//! - this file: the listener loop and the HTTP/1.1 connection.
//!
//! HTTP is hyper 1.x's HTTP/1 server over our `tokio::net::TcpStream`. It works in the simulator too:
//! madsim's stream implements tokio's `AsyncRead`/`AsyncWrite`, hyper's HTTP/1 server needs no
//! executor, hyper flushes after writing each response, and no hyper timer is configured (its timers
//! would escape the simulated clock); the connection deadline is ours, on `tokio::time`. hyper parses
//! strictly, answers malformed requests with 400 and closes, and caps the request head at
//! [`REQUEST_BUFFER_MAX_BYTES`]. Like C Dynomite, every connection closes after one response.
//!
//! Statuses: 200 with the answer; 400 for a bad value (naming it and what is allowed); 404 with the
//! endpoint list for an unknown path; 405 for methods other than GET, HEAD, POST; 401 for an endpoint
//! that changes the node without `admin_token`; 409 for `/read_repairs/enable` on a node without CRDT
//! mode; 503 for a log level change in a process without a reloadable logger. C Dynomite answers
//! `OK` with 200 to anything it does not understand; we do not, so that typos are visible.

pub mod client;
mod prometheus;
mod respond;
mod ring;
mod route;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::node::NodeShared;

pub use respond::{Answer, BodyKind};
pub use route::{route, AdminError, ConsistencyTarget, Endpoint, PeerAction, PeerTarget, ENDPOINTS_HELP};

/// Admin connections served at once; further connections wait in the listen backlog.
const ADMIN_CONNECTIONS_MAX: usize = 16;
/// hyper's read buffer, which bounds the request head (8 KiB is hyper's minimum).
const REQUEST_BUFFER_MAX_BYTES: usize = 8 * 1024;
/// Time one admin connection may take from accept to the end of its response.
const CONNECTION_DEADLINE_MS: u64 = 10_000;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;

/// Serves admin HTTP requests until `shutdown` completes.
pub async fn serve(listener: TcpListener, node: Arc<NodeShared>, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(ADMIN_CONNECTIONS_MAX));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut shutdown => return,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => return, // never closed; stop rather than spin
            },
        };
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                tokio::spawn(serve_connection(stream, node.clone(), permit));
            }
            Err(error) => {
                tracing::warn!(%error, "admin accept failed");
                tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
            }
        }
    }
}

/// Serves one connection (one request, then close) within [`CONNECTION_DEADLINE_MS`].
async fn serve_connection(stream: TcpStream, node: Arc<NodeShared>, _permit: OwnedSemaphorePermit) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let response = handle(&node, &request);
        async move { Ok::<_, Infallible>(response) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .max_buf_size(REQUEST_BUFFER_MAX_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(Duration::from_millis(CONNECTION_DEADLINE_MS), connection).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "admin connection failed"),
        Err(_elapsed) => tracing::debug!("admin connection closed at its deadline"),
    }
}

/// Routes and answers one request.
fn handle(node: &NodeShared, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    tracing::debug!(method = %request.method(), path = request.uri().path(), "admin request");
    let outcome = route(request.method().as_str(), request.uri().path())
        .and_then(|endpoint| authorize(node, request, endpoint))
        .and_then(|endpoint| respond::respond(node, endpoint));
    match outcome {
        Ok(answer) => response(StatusCode::OK, answer.kind, answer.body),
        Err(error) => {
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut body = error.to_string();
            if !body.ends_with('\n') {
                body.push('\n');
            }
            let mut response = response(status, BodyKind::Text, body);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                response
                    .headers_mut()
                    .insert(hyper::header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
            }
            response
        }
    }
}

/// With `admin_token` set, an endpoint that changes the node needs it (compared in constant time).
fn authorize(
    node: &NodeShared,
    request: &Request<Incoming>,
    endpoint: Endpoint,
) -> Result<Endpoint, AdminError> {
    let Some(expected) = &node.admin_token else { return Ok(endpoint) };
    if !endpoint.changes_node() {
        return Ok(endpoint);
    }
    let authorization =
        request.headers().get(hyper::header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    match route::request_token(authorization, request.uri().query()) {
        Some(token) if expected.matches(token.as_bytes()) => Ok(endpoint),
        _ => Err(AdminError::Unauthorized { path: request.uri().path().to_string() }),
    }
}

/// A response with this status, content type and body.
fn response(status: StatusCode, kind: BodyKind, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(kind.content_type()));
    response
}
