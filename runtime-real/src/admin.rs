//! Admin HTTP on `stats_listen` (C Dynomite's stats port). Being written: see the module's owner.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::node::NodeShared;

/// Serves admin HTTP requests until `shutdown` completes.
pub async fn serve(listener: TcpListener, node: Arc<NodeShared>, shutdown: impl Future<Output = ()>) {
    let _ = (listener, node);
    shutdown.await;
}
