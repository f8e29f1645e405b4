//! Admin request routing: method and path → a typed [`Endpoint`], or an [`AdminError`] that says what
//! was wrong and what is allowed.
//!
//! Pure and synchronous (no sockets, no node) so every path shape is unit tested. Paths are C
//! Dynomite's (`src/dyn_stats.c`, `parse_request`); where C answers `OK` to anything it does not know,
//! we answer 404 with the list of endpoints.

use dynomite_core::cluster::LocalState;
use dynomite_core::config::{Consistency, UnknownConsistency};

use crate::cli::MAX_VERBOSITY;
use crate::node::{TIMEOUT_FACTOR_MAX, TIMEOUT_FACTOR_MIN};

/// The endpoint list served by `/help` and appended to 404 replies.
pub const ENDPOINTS_HELP: &str = "/info\n/metrics\n/ring\n/cluster_describe\n/get_consistency\n\
/set_consistency/<read|write>/<dc_one|dc_quorum|dc_safe_quorum|dc_each_safe_quorum>\n\
/get_timeout_factor\n/set_timeout_factor/<1-10>\n/setloglevel/<0-11>\n/loglevelup\n/logleveldown\n\
/historeset\n/peer/<up|down|reset>/<host:port|host|all>\n\
/state/<get_state|normal|standby|writes_only|resuming>\n/read_repairs/<enable|disable>\n\
/repair/start[/<first token>/<last token>]\n/repair/status\n/ping\n/help\n";

/// One admin request, decided from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/info` (and `/`): node identity, counters, datastore and peer links as JSON.
    Info,
    /// `/cluster_describe`: the topology as C Dynomite's JSON.
    ClusterDescribe,
    /// `/get_consistency`: the node's read and write levels as text.
    GetConsistency,
    /// `/set_consistency/{read|write}/{level}`: changes one of the node's levels.
    SetConsistency {
        /// Which level changes.
        target: ConsistencyTarget,
        /// The new level.
        level: Consistency,
    },
    /// `/peer/{up|down|reset}/{peer|all}`: marks peers down or clears that mark.
    Peer {
        /// What to do to the peers.
        action: PeerAction,
        /// Which peers.
        target: PeerTarget,
    },
    /// `/read_repairs/{enable|disable}`: switches read repair (C Dynomite's endpoint).
    ReadRepairs {
        /// True for `enable`.
        enabled: bool,
    },
    /// `/repair/start[/<first>/<last>]`: starts a range repair of this node's token ranges, or of the
    /// inclusive token range given (CRDT mode).
    RepairStart {
        /// The tokens to repair; None: this node's ranges.
        range: Option<crate::repair::ranges::TokenRange>,
    },
    /// `/repair/status`: the background repair's progress as JSON.
    RepairStatus,
    /// `/state/{normal|standby|writes_only|resuming}`: changes what this node serves.
    SetState {
        /// The new state.
        state: LocalState,
    },
    /// `/state/get_state`: C's `State: <NAME>`.
    GetState,
    /// `/get_timeout_factor`: C's `Timeout factor: N`.
    GetTimeoutFactor,
    /// `/set_timeout_factor/N`: every request timeout becomes `timeout` × N (1..=10).
    SetTimeoutFactor {
        /// The new factor.
        factor: u8,
    },
    /// `/setloglevel/N`: the log verbosity on C's scale (0..=11).
    SetLogLevel {
        /// The new verbosity.
        verbosity: u8,
    },
    /// `/loglevelup`: one step more verbose.
    LogLevelUp,
    /// `/logleveldown`: one step less verbose.
    LogLevelDown,
    /// `/historeset`: empties the latency and size histograms.
    HistogramReset,
    /// `/metrics`: Prometheus text exposition.
    Metrics,
    /// `/ring`: every node with its placement, tokens, share of the ring and link health (JSON, for
    /// `dynomite status`).
    Ring,
    /// `/ping`: a liveness check answered with C's `OK`.
    Ping,
    /// `/help`: the endpoint list.
    Help,
}

impl Endpoint {
    /// True for the endpoints that change the node (levels, peer marks, read repair, repairs): with
    /// `admin_token` set they need it; the others only read.
    pub fn changes_node(&self) -> bool {
        matches!(
            self,
            Endpoint::SetConsistency { .. }
                | Endpoint::SetState { .. }
                | Endpoint::Peer { .. }
                | Endpoint::ReadRepairs { .. }
                | Endpoint::RepairStart { .. }
                | Endpoint::SetTimeoutFactor { .. }
                | Endpoint::SetLogLevel { .. }
                | Endpoint::LogLevelUp
                | Endpoint::LogLevelDown
                | Endpoint::HistogramReset
        )
    }
}

/// The token a request carries: `Authorization: Bearer <token>`, else the `token` query parameter.
pub fn request_token<'a>(authorization: Option<&'a str>, query: Option<&'a str>) -> Option<&'a str> {
    let bearer = authorization.and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    bearer.or_else(|| query?.split('&').find_map(|pair| pair.strip_prefix("token=")))
}

/// Which of the node's two consistency levels a `/set_consistency` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsistencyTarget {
    /// The level of reads.
    Read,
    /// The level of writes.
    Write,
}

/// What `/peer/...` does to the peers it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerAction {
    /// Clear the admin's down mark and any auto-ejection (C: state NORMAL).
    Up,
    /// Treat the peer as down: requests to it fail fast (C: state DOWN).
    Down,
    /// Clear the admin's down mark and any auto-ejection; the link keeps reconnecting (C: state RESET).
    Reset,
}

/// The peers a `/peer/...` request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerTarget {
    /// Every peer (`all`).
    All,
    /// Peers whose address is `host:port` or whose host is this text.
    Named(String),
}

/// Why an admin request got no normal answer; [`AdminError::status`] is its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// An endpoint that changes the node, without the `admin_token`.
    #[error("'{path}' changes the node and needs admin_token: send 'Authorization: Bearer <admin_token>' (or ?token=<admin_token>)")]
    Unauthorized {
        /// The path as sent.
        path: String,
    },
    /// A method other than GET, HEAD or POST.
    #[error("method {method} is not allowed; use GET, HEAD or POST")]
    MethodNotAllowed {
        /// The method as sent.
        method: String,
    },
    /// A path that is no endpoint.
    #[error("unknown path '{path}'; endpoints:\n{ENDPOINTS_HELP}")]
    UnknownPath {
        /// The path as sent.
        path: String,
    },
    /// `/set_timeout_factor/<n>` with something other than 1..=10.
    #[error("'{value}' is not a timeout factor; allowed: an integer from 1 to 10 (every request timeout is `timeout` x the factor)")]
    BadTimeoutFactor {
        /// The factor as sent.
        value: String,
    },
    /// `/setloglevel/<n>` with something other than 0..=11.
    #[error("'{value}' is not a log level; allowed: an integer from 0 (emergencies only) to 11 (everything); 5 = notice, 7 = debug")]
    BadLogLevel {
        /// The level as sent.
        value: String,
    },
    /// The log level could not change (no reloadable logger in this process).
    #[error(transparent)]
    LogLevel(#[from] crate::log_level::LogLevelError),
    /// An endpoint path without its last part.
    #[error("'{path}' is incomplete; use {usage}")]
    Incomplete {
        /// The path as sent.
        path: String,
        /// The full form of the endpoint.
        usage: &'static str,
    },
    /// `/set_consistency/<target>/...` with a target other than read or write.
    #[error("'{value}' is not a consistency target; allowed: read, write")]
    BadConsistencyTarget {
        /// The target as sent.
        value: String,
    },
    /// `/set_consistency/.../<level>` with an unknown level.
    #[error(transparent)]
    BadConsistencyLevel(#[from] UnknownConsistency),
    /// `/peer/<action>/...` with an action other than up, down or reset.
    #[error("'{value}' is not a peer action; allowed: up, down, reset")]
    BadPeerAction {
        /// The action as sent.
        value: String,
    },
    /// `/state/<state>` with an unknown state.
    #[error("'{value}' is not a node state; allowed: get_state, normal, standby, writes_only, resuming")]
    BadState {
        /// The state as sent.
        value: String,
    },
    /// `/read_repairs/<op>` with an op other than enable or disable.
    #[error("'{value}' is not a read repair switch; allowed: enable, disable")]
    BadReadRepairs {
        /// The op as sent.
        value: String,
    },
    /// `/read_repairs/enable` on a node without CRDT mode: there is no metadata to merge.
    #[error("read repair needs CRDT mode: set crdt_enabled: true (or read_repairs_enabled: true) in the configuration")]
    ReadRepairsNeedCrdt,
    /// `/peer/.../<peer>` naming no peer of this node.
    #[error("'{value}' is no peer of this node; allowed: all, {known}")]
    UnknownPeer {
        /// The peer as sent.
        value: String,
        /// The peers' addresses, comma separated.
        known: String,
    },
    /// `/repair/start/<first>/<last>` with tokens that are no `u32` or out of order.
    #[error("'{value}' is not a token range; use /repair/start/<first token>/<last token>, 0 <= first <= last <= 4294967295")]
    BadRepairRange {
        /// The range as sent.
        value: String,
    },
    /// `/repair/start` on a node that cannot repair (no `crdt_enabled`).
    #[error(transparent)]
    RepairUnavailable(#[from] crate::repair::RepairRequestError),
}

impl AdminError {
    /// The HTTP status code of this error.
    pub fn status(&self) -> u16 {
        match self {
            AdminError::Unauthorized { .. } => 401,
            AdminError::MethodNotAllowed { .. } => 405,
            AdminError::UnknownPath { .. } => 404,
            AdminError::LogLevel(_) => 503,
            AdminError::RepairUnavailable(_) => 409,
            AdminError::Incomplete { .. }
            | AdminError::BadConsistencyTarget { .. }
            | AdminError::BadConsistencyLevel(_)
            | AdminError::BadPeerAction { .. }
            | AdminError::BadReadRepairs { .. }
            | AdminError::BadState { .. }
            | AdminError::BadRepairRange { .. }
            | AdminError::BadTimeoutFactor { .. }
            | AdminError::BadLogLevel { .. }
            | AdminError::UnknownPeer { .. } => 400,
            AdminError::ReadRepairsNeedCrdt => 409,
        }
    }
}

/// Usage of `/set_consistency`, for [`AdminError::Incomplete`].
const SET_CONSISTENCY_USAGE: &str =
    "/set_consistency/<read|write>/<dc_one|dc_quorum|dc_safe_quorum|dc_each_safe_quorum>";
/// Usage of `/state`, for [`AdminError::Incomplete`].
const STATE_USAGE: &str = "/state/<get_state|normal|standby|writes_only|resuming>";
/// Usage of `/read_repairs`, for [`AdminError::Incomplete`].
const READ_REPAIRS_USAGE: &str = "/read_repairs/<enable|disable>";
/// Usage of `/set_timeout_factor`, for [`AdminError::Incomplete`].
const SET_TIMEOUT_FACTOR_USAGE: &str = "/set_timeout_factor/<1-10>";
/// Usage of `/setloglevel`, for [`AdminError::Incomplete`].
const SET_LOG_LEVEL_USAGE: &str = "/setloglevel/<0-11>";
/// Usage of `/peer`, for [`AdminError::Incomplete`].
const PEER_USAGE: &str = "/peer/<up|down|reset>/<host:port|host|all>";

/// Decides the endpoint of a request from its method and path (without the query string).
pub fn route(method: &str, path: &str) -> Result<Endpoint, AdminError> {
    if !matches!(method, "GET" | "HEAD" | "POST") {
        return Err(AdminError::MethodNotAllowed { method: method.to_string() });
    }
    let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    match parts.as_slice() {
        [""] | ["info"] => Ok(Endpoint::Info),
        ["cluster_describe"] => Ok(Endpoint::ClusterDescribe),
        ["get_consistency"] => Ok(Endpoint::GetConsistency),
        ["set_consistency", rest @ ..] => set_consistency(path, rest),
        ["peer", rest @ ..] => peer(path, rest),
        ["read_repairs", rest @ ..] => read_repairs(path, rest),
        ["repair", "start"] => Ok(Endpoint::RepairStart { range: None }),
        ["repair", "start", first, last] => repair_range(first, last),
        ["repair", "status"] => Ok(Endpoint::RepairStatus),
        ["state", "get_state"] => Ok(Endpoint::GetState),
        ["state", name] => match LocalState::from_path(name) {
            Some(state) => Ok(Endpoint::SetState { state }),
            None => Err(AdminError::BadState { value: name.to_string() }),
        },
        ["state"] => Err(AdminError::Incomplete { path: path.to_string(), usage: STATE_USAGE }),
        ["get_timeout_factor"] => Ok(Endpoint::GetTimeoutFactor),
        ["set_timeout_factor", rest @ ..] => set_timeout_factor(path, rest),
        ["setloglevel", rest @ ..] => set_log_level(path, rest),
        ["loglevelup"] => Ok(Endpoint::LogLevelUp),
        ["logleveldown"] => Ok(Endpoint::LogLevelDown),
        ["historeset"] => Ok(Endpoint::HistogramReset),
        ["metrics"] => Ok(Endpoint::Metrics),
        ["ring"] => Ok(Endpoint::Ring),
        ["ping"] => Ok(Endpoint::Ping),
        ["help"] => Ok(Endpoint::Help),
        _ => Err(AdminError::UnknownPath { path: path.to_string() }),
    }
}

/// `/set_consistency/<target>/<level>`, given the parts after `set_consistency`.
fn set_consistency(path: &str, rest: &[&str]) -> Result<Endpoint, AdminError> {
    let [target, level] = rest else {
        return Err(AdminError::Incomplete { path: path.to_string(), usage: SET_CONSISTENCY_USAGE });
    };
    let target = match target.to_ascii_lowercase().as_str() {
        "read" => ConsistencyTarget::Read,
        "write" => ConsistencyTarget::Write,
        _ => return Err(AdminError::BadConsistencyTarget { value: target.to_string() }),
    };
    let level: Consistency = level.parse()?;
    Ok(Endpoint::SetConsistency { target, level })
}

/// `/peer/<action>/<peer|all>`, given the parts after `peer`.
fn peer(path: &str, rest: &[&str]) -> Result<Endpoint, AdminError> {
    let [action, target] = rest else {
        return Err(AdminError::Incomplete { path: path.to_string(), usage: PEER_USAGE });
    };
    let action = match *action {
        "up" => PeerAction::Up,
        "down" => PeerAction::Down,
        "reset" => PeerAction::Reset,
        _ => return Err(AdminError::BadPeerAction { value: action.to_string() }),
    };
    let target = match *target {
        "" => return Err(AdminError::Incomplete { path: path.to_string(), usage: PEER_USAGE }),
        "all" => PeerTarget::All,
        named => PeerTarget::Named(named.to_string()),
    };
    Ok(Endpoint::Peer { action, target })
}

/// `/read_repairs/<enable|disable>`, given the parts after `read_repairs`.
fn read_repairs(path: &str, rest: &[&str]) -> Result<Endpoint, AdminError> {
    match rest {
        ["enable"] => Ok(Endpoint::ReadRepairs { enabled: true }),
        ["disable"] => Ok(Endpoint::ReadRepairs { enabled: false }),
        [] | [""] => Err(AdminError::Incomplete { path: path.to_string(), usage: READ_REPAIRS_USAGE }),
        other => Err(AdminError::BadReadRepairs { value: other.join("/") }),
    }
}

/// `/repair/start/<first>/<last>`.
fn repair_range(first: &str, last: &str) -> Result<Endpoint, AdminError> {
    let bad = || AdminError::BadRepairRange { value: format!("{first}/{last}") };
    let start: u32 = first.parse().map_err(|_| bad())?;
    let end: u32 = last.parse().map_err(|_| bad())?;
    if end < start {
        return Err(bad());
    }
    Ok(Endpoint::RepairStart { range: Some(crate::repair::ranges::TokenRange { start, end }) })
}

/// `/set_timeout_factor/<1..=10>`, given the parts after `set_timeout_factor`. C clamps values out of
/// range; we refuse them, so that a typo is visible.
fn set_timeout_factor(path: &str, rest: &[&str]) -> Result<Endpoint, AdminError> {
    let [value] = rest else {
        return Err(AdminError::Incomplete { path: path.to_string(), usage: SET_TIMEOUT_FACTOR_USAGE });
    };
    match value.parse::<u8>() {
        Ok(factor) if (TIMEOUT_FACTOR_MIN..=TIMEOUT_FACTOR_MAX).contains(&factor) => {
            Ok(Endpoint::SetTimeoutFactor { factor })
        }
        _ if value.is_empty() => {
            Err(AdminError::Incomplete { path: path.to_string(), usage: SET_TIMEOUT_FACTOR_USAGE })
        }
        _ => Err(AdminError::BadTimeoutFactor { value: value.to_string() }),
    }
}

/// `/setloglevel/<0..=11>`, given the parts after `setloglevel`.
fn set_log_level(path: &str, rest: &[&str]) -> Result<Endpoint, AdminError> {
    let [value] = rest else {
        return Err(AdminError::Incomplete { path: path.to_string(), usage: SET_LOG_LEVEL_USAGE });
    };
    match value.parse::<u8>() {
        Ok(verbosity) if verbosity <= MAX_VERBOSITY => Ok(Endpoint::SetLogLevel { verbosity }),
        _ if value.is_empty() => {
            Err(AdminError::Incomplete { path: path.to_string(), usage: SET_LOG_LEVEL_USAGE })
        }
        _ => Err(AdminError::BadLogLevel { value: value.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_endpoints() {
        assert_eq!(route("GET", "/"), Ok(Endpoint::Info));
        assert_eq!(route("GET", "/info"), Ok(Endpoint::Info));
        assert_eq!(route("HEAD", "/info"), Ok(Endpoint::Info));
        assert_eq!(route("POST", "/ping"), Ok(Endpoint::Ping));
        assert_eq!(route("GET", "/help"), Ok(Endpoint::Help));
        assert_eq!(route("GET", "/cluster_describe"), Ok(Endpoint::ClusterDescribe));
        assert_eq!(route("POST", "/repair/start"), Ok(Endpoint::RepairStart { range: None }));
        let range = Some(crate::repair::ranges::TokenRange { start: 5, end: 9 });
        assert_eq!(route("GET", "/repair/start/5/9"), Ok(Endpoint::RepairStart { range }));
        assert_eq!(route("GET", "/repair/start/9/5").unwrap_err().status(), 400);
        assert_eq!(route("GET", "/repair/start/x/5").unwrap_err().status(), 400);
        assert_eq!(route("GET", "/repair/status"), Ok(Endpoint::RepairStatus));
        assert_eq!(route("GET", "/get_consistency"), Ok(Endpoint::GetConsistency));
    }

    #[test]
    fn set_consistency_is_case_insensitive() {
        assert_eq!(
            route("GET", "/set_consistency/READ/Dc_Quorum"),
            Ok(Endpoint::SetConsistency { target: ConsistencyTarget::Read, level: Consistency::DcQuorum })
        );
        assert_eq!(
            route("GET", "/set_consistency/write/dc_each_safe_quorum"),
            Ok(Endpoint::SetConsistency {
                target: ConsistencyTarget::Write,
                level: Consistency::DcEachSafeQuorum
            })
        );
    }

    #[test]
    fn bad_consistency_requests_name_the_value_and_what_is_allowed() {
        let error = route("GET", "/set_consistency/read/dc_two").unwrap_err();
        assert_eq!(error.status(), 400);
        assert_eq!(
            error.to_string(),
            "'dc_two' is not a consistency level; allowed: dc_one, dc_quorum, dc_safe_quorum, \
             dc_each_safe_quorum"
        );
        let error = route("GET", "/set_consistency/both/dc_one").unwrap_err();
        assert_eq!(error.to_string(), "'both' is not a consistency target; allowed: read, write");
        let error = route("GET", "/set_consistency/read").unwrap_err();
        assert!(matches!(error, AdminError::Incomplete { .. }), "{error:?}");
    }

    #[test]
    fn peer_requests() {
        assert_eq!(
            route("GET", "/peer/down/10.0.0.1:8101"),
            Ok(Endpoint::Peer {
                action: PeerAction::Down,
                target: PeerTarget::Named("10.0.0.1:8101".to_string())
            })
        );
        assert_eq!(
            route("GET", "/peer/reset/all"),
            Ok(Endpoint::Peer { action: PeerAction::Reset, target: PeerTarget::All })
        );
        assert_eq!(route("GET", "/peer/sideways/all").unwrap_err().status(), 400);
        assert_eq!(route("GET", "/peer/up/").unwrap_err().status(), 400);
        assert_eq!(route("GET", "/peer/up").unwrap_err().status(), 400);
    }

    #[test]
    fn read_repairs_switch() {
        assert_eq!(route("GET", "/read_repairs/enable"), Ok(Endpoint::ReadRepairs { enabled: true }));
        assert_eq!(route("POST", "/read_repairs/disable"), Ok(Endpoint::ReadRepairs { enabled: false }));
        let error = route("GET", "/read_repairs/maybe").unwrap_err();
        assert_eq!(error.status(), 400);
        assert_eq!(error.to_string(), "'maybe' is not a read repair switch; allowed: enable, disable");
        assert!(matches!(route("GET", "/read_repairs").unwrap_err(), AdminError::Incomplete { .. }));
    }

    #[test]
    fn tokens_come_from_the_bearer_header_or_the_query() {
        assert_eq!(request_token(Some("Bearer abc"), None), Some("abc"));
        assert_eq!(request_token(Some("bearer  abc "), Some("token=zzz")), Some("abc"));
        assert_eq!(request_token(Some("Basic abc"), Some("x=1&token=t")), Some("t"));
        assert_eq!(request_token(None, Some("token=")), Some(""));
        assert_eq!(request_token(None, None), None);
        let changing = [
            "/set_consistency/read/dc_one",
            "/peer/down/all",
            "/read_repairs/enable",
            "/repair/start",
            "/state/standby",
            "/set_timeout_factor/2",
            "/setloglevel/7",
            "/loglevelup",
            "/logleveldown",
            "/historeset",
        ];
        for path in changing {
            assert!(route("GET", path).unwrap().changes_node(), "{path}");
        }
        for path in [
            "/info",
            "/cluster_describe",
            "/get_consistency",
            "/repair/status",
            "/state/get_state",
            "/ping",
            "/help",
            "/get_timeout_factor",
            "/metrics",
            "/ring",
        ] {
            assert!(!route("GET", path).unwrap().changes_node(), "{path}");
        }
    }

    #[test]
    fn unknown_paths_and_other_shapes() {
        let error = route("GET", "/nope").unwrap_err();
        assert_eq!(error.status(), 404);
        assert!(error.to_string().contains("/cluster_describe"), "{error}");
        assert_eq!(route("GET", "/info/extra").unwrap_err().status(), 404);
        assert_eq!(route("GET", "/get_timeout_factor"), Ok(Endpoint::GetTimeoutFactor));
        assert_eq!(route("GET", "/state/standby"), Ok(Endpoint::SetState { state: LocalState::Standby }));
        assert_eq!(route("GET", "/state/get_state"), Ok(Endpoint::GetState));
        assert_eq!(route("GET", "/state/sleepy").unwrap_err().status(), 400);
        assert!(matches!(route("GET", "/state").unwrap_err(), AdminError::Incomplete { .. }));
        assert_eq!(route("DELETE", "/info").unwrap_err().status(), 405);
    }

    #[test]
    fn timeout_factor_and_log_level_values_are_checked() {
        assert_eq!(route("GET", "/set_timeout_factor/1"), Ok(Endpoint::SetTimeoutFactor { factor: 1 }));
        assert_eq!(route("GET", "/set_timeout_factor/10"), Ok(Endpoint::SetTimeoutFactor { factor: 10 }));
        for bad in ["abc", "0", "11", "-1", "2.5", "300"] {
            let error = route("GET", &format!("/set_timeout_factor/{bad}")).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert!(error.to_string().contains("from 1 to 10"), "{error}");
        }
        assert!(matches!(route("GET", "/set_timeout_factor").unwrap_err(), AdminError::Incomplete { .. }));
        assert!(matches!(route("GET", "/set_timeout_factor/").unwrap_err(), AdminError::Incomplete { .. }));
        assert_eq!(route("GET", "/setloglevel/0"), Ok(Endpoint::SetLogLevel { verbosity: 0 }));
        assert_eq!(route("GET", "/setloglevel/11"), Ok(Endpoint::SetLogLevel { verbosity: 11 }));
        let error = route("GET", "/setloglevel/12").unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(error.to_string().contains("from 0"), "{error}");
        assert_eq!(route("GET", "/setloglevel/loud").unwrap_err().status(), 400);
        assert_eq!(route("GET", "/loglevelup"), Ok(Endpoint::LogLevelUp));
        assert_eq!(route("GET", "/logleveldown"), Ok(Endpoint::LogLevelDown));
        assert_eq!(route("GET", "/historeset"), Ok(Endpoint::HistogramReset));
        assert_eq!(route("GET", "/metrics"), Ok(Endpoint::Metrics));
        assert_eq!(route("GET", "/ring"), Ok(Endpoint::Ring));
        assert_eq!(route("GET", "/loglevelup/x").unwrap_err().status(), 404);
    }
}
