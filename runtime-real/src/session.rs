//! Per-connection state and the commands the proxy answers itself.
//!
//! A client connection negotiates its protocol (`HELLO 2|3`), may name itself (`CLIENT SETNAME`,
//! `CLIENT SETINFO`), and asks about the node (`INFO`, `COMMAND`). None of that belongs to the
//! datastore: the node answers from this session state, so modern clients (redis-py 5+, which sends
//! `HELLO 3` and `CLIENT SETINFO` on connect) work, where C Dynomite dropped their connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::cluster::STATE_REJECTED_TEXT;
use dynomite_core::command::{self, Access, CommandSpec};
use dynomite_core::config::Consistency;
use dynomite_core::request::{Kind, Request};
use dynomite_core::resp::{self, Frame, Protocol};

use crate::auth::{AuthRefusal, ClientAuth, ClientIdentity};
use crate::coordinator::{self, Levels, Reply, ReplyFuture, RequestTag, Routed};
use crate::datastore::{DatastoreError, DatastoreReply};
use crate::metrics::RequestClass;
use crate::node::NodeShared;

/// C Dynomite's command for a per-connection consistency level.
const CONN_CONSISTENCY_COMMAND: &[u8] = b"DYNO_CONFIG:CONN_CONSISTENCY";
/// The Redis version the proxy reports in `HELLO` (the command set it implements).
pub const REDIS_COMPATIBLE_VERSION: &str = "7.0.0";
/// Redis's reply to a command sent before `AUTH` when a password is required.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// Redis's reply to `HELLO` without `AUTH` on a connection that has not authenticated.
const HELLO_NOAUTH: &str =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
     HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP \
     protocol version at the same time";
/// Redis's reply to a wrong password or an unknown user.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// Longest client name or library name/version accepted, in bytes.
const CLIENT_NAME_BYTES_MAX: usize = 512;

/// A reply in the making, written to the client in request order.
pub enum Pending {
    /// Ready now; encoded in the given protocol.
    Frame(Frame, Protocol),
    /// Raw bytes from the datastore, already in the protocol the request was sent with.
    Datastore(DatastoreReply, Protocol),
    /// Computed later: replicas answering at a consistency level, merged fragments, or INFO merging
    /// the node's section with the datastore's.
    Later(ReplyFuture, Protocol),
    /// Close the connection once every earlier reply is written (QUIT, protocol error).
    Close,
}

/// What the connection does after a request.
pub struct Outcome {
    /// The reply to queue.
    pub reply: Pending,
    /// True when the connection closes after this reply (QUIT).
    pub close_after: bool,
    /// Read, write or other, for the request counters.
    pub class: RequestClass,
    /// True when the connection must dispatch nothing more until this reply is written (a counter op
    /// whose join is sent after its applier answers: [`crate::counter`]).
    pub barrier: bool,
}

impl Outcome {
    fn reply(frame: Frame, protocol: Protocol) -> Outcome {
        Outcome {
            reply: Pending::Frame(frame, protocol),
            close_after: false,
            class: RequestClass::Other,
            barrier: false,
        }
    }
}

/// State of one client connection.
pub struct Session {
    /// Unique id on this node (`CLIENT ID`, `HELLO`).
    pub id: u64,
    /// The client's address, for `CLIENT INFO`.
    pub peer: Option<SocketAddr>,
    /// The negotiated protocol; every reply is encoded in it.
    pub protocol: Protocol,
    /// `CLIENT SETNAME` / `HELLO ... SETNAME`.
    pub name: Option<Bytes>,
    /// `CLIENT SETINFO LIB-NAME`.
    pub library_name: Option<Bytes>,
    /// `CLIENT SETINFO LIB-VER`.
    pub library_version: Option<Bytes>,
    /// `DYNO_CONFIG:CONN_CONSISTENCY`: this connection's level for reads and writes, overriding the
    /// node's (which the admin endpoint can change at runtime).
    pub consistency: Option<Consistency>,
    /// Requests parsed on this connection so far (the [`RequestTag`] sequence; RESET keeps it).
    pub requests_parsed: u64,
    /// The user the client authenticated as (`requirepass`'s `default`, or one of `users`); RESET
    /// clears it, as in Redis.
    pub user: Option<ClientIdentity>,
}

impl Session {
    /// A new RESP2 session.
    pub fn new(id: u64, peer: Option<SocketAddr>) -> Session {
        Session {
            id,
            peer,
            protocol: Protocol::Resp2,
            name: None,
            library_name: None,
            library_version: None,
            consistency: None,
            requests_parsed: 0,
            user: None,
        }
    }

    /// Handles one parsed request: the request is resolved once here into a typed [`Request`], then
    /// routed; everything it does to replicas is enqueued before this returns (only the reply is
    /// awaited later, by the connection's writer, in request order).
    pub fn dispatch(&mut self, args: Vec<Bytes>, node: &Arc<NodeShared>) -> Outcome {
        node.stats.count_request();
        self.requests_parsed += 1;
        if node.client_auth.required() && self.user.is_none() && !allowed_before_auth(&args[0]) {
            node.stats.count_rejected();
            return Outcome::reply(Frame::error(NOAUTH), self.protocol);
        }
        if args[0].eq_ignore_ascii_case(CONN_CONSISTENCY_COMMAND) {
            return Outcome::reply(self.set_connection_consistency(&args), self.protocol);
        }
        let request = match Request::resolve(args, &coordinator::key_hasher(node)) {
            Ok(request) => request,
            Err(error) => {
                node.stats.count_rejected();
                return Outcome::reply(error.to_frame(), self.protocol);
            }
        };
        if request.kind == Kind::Proxy {
            return self.answer(request.spec, &request.args, node);
        }
        if let Some(refusal) = self.refuse_write(&request) {
            node.stats.count_rejected();
            let refused = Outcome::reply(refusal, self.protocol);
            return Outcome { class: RequestClass::of(request.access), ..refused };
        }
        if !node.local_state().admits(request.access) {
            node.stats.count_rejected();
            let refused = Outcome::reply(Frame::error(STATE_REJECTED_TEXT), self.protocol);
            return Outcome { class: RequestClass::of(request.access), ..refused };
        }
        if request.access == Access::Write {
            let payload_bytes: usize = request.args.iter().map(Bytes::len).sum();
            node.metrics.payload_size_bytes.record(payload_bytes as u64);
        }
        let class = RequestClass::of(request.access);
        let levels = match self.consistency {
            Some(level) => Levels { read: level, write: level },
            None => node.consistency(),
        };
        let tag = RequestTag { connection_id: self.id, request_sequence: self.requests_parsed };
        let (reply, barrier) = match coordinator::route(node, request, self.protocol, levels, tag) {
            Routed::Local(reply) => (Pending::Datastore(reply, self.protocol), false),
            Routed::Later(future) => (Pending::Later(future, self.protocol), false),
            Routed::Barrier(future) => (Pending::Later(future, self.protocol), true),
        };
        Outcome { reply, close_after: false, class, barrier }
    }

    /// A `read-only` user's write: Redis's `NOPERM` error naming the user and the command.
    fn refuse_write(&self, request: &Request) -> Option<Frame> {
        let user = self.user.as_ref().filter(|user| user.read_only)?;
        (request.access == Access::Write).then(|| {
            Frame::error(format!(
                "NOPERM User {} has no permissions to run the '{}' command",
                user.name,
                request.spec.name.to_ascii_lowercase()
            ))
        })
    }

    /// `DYNO_CONFIG:CONN_CONSISTENCY <level>` (C Dynomite's per-connection consistency).
    fn set_connection_consistency(&mut self, args: &[Bytes]) -> Frame {
        let [_, level] = args else {
            return Frame::error("ERR wrong number of arguments for 'dyno_config:conn_consistency' command");
        };
        match std::str::from_utf8(level).ok().and_then(|text| text.parse::<Consistency>().ok()) {
            Some(level) => {
                self.consistency = Some(level);
                Frame::ok()
            }
            None => Frame::error(format!(
                "ERR Dynomite: '{}' is not a consistency level; allowed: dc_one, dc_quorum, dc_safe_quorum, dc_each_safe_quorum",
                String::from_utf8_lossy(level)
            )),
        }
    }

    fn answer(&mut self, spec: &CommandSpec, args: &[Bytes], node: &Arc<NodeShared>) -> Outcome {
        let protocol = self.protocol;
        let auth = &node.client_auth;
        let frame = match spec.name {
            "PING" => match args.get(1) {
                Some(message) => Frame::Bulk(message.clone()),
                None => Frame::simple("PONG"),
            },
            "ECHO" => Frame::Bulk(args[1].clone()),
            "QUIT" => {
                return Outcome {
                    reply: Pending::Frame(Frame::ok(), protocol),
                    close_after: true,
                    class: RequestClass::Other,
                    barrier: false,
                }
            }
            "RESET" => {
                let requests_parsed = self.requests_parsed;
                *self = Session::new(self.id, self.peer);
                self.requests_parsed = requests_parsed;
                Frame::simple("RESET")
            }
            "SELECT" => select(&args[1]),
            "HELLO" => {
                let reply = self.hello(args, auth);
                count_wrong_password(&reply, node);
                return Outcome::reply(reply, self.protocol);
            }
            "AUTH" => {
                let reply = self.auth(args, auth);
                count_wrong_password(&reply, node);
                reply
            }
            "COMMAND" | "COMMAND|COUNT" | "COMMAND|INFO" | "COMMAND|DOCS" | "COMMAND|LIST"
            | "COMMAND|GETKEYS" => command::command_reply(args),
            "INFO" => return self.info(args, node),
            name if name.starts_with("CLIENT|") => self.client(name, args),
            name => Frame::error(format!("ERR {} is not supported by Dynomite", name.replace('|', " "))),
        };
        Outcome::reply(frame, protocol)
    }

    /// `HELLO [protover [AUTH username password] [SETNAME clientname]]`, as Redis 7 parses it.
    fn hello(&mut self, args: &[Bytes], client_auth: &ClientAuth) -> Frame {
        let mut protocol = self.protocol;
        if let Some(version) = args.get(1) {
            protocol = match parse_integer(version) {
                Some(2) => Protocol::Resp2,
                Some(3) => Protocol::Resp3,
                Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
                None => return Frame::error("ERR Protocol version is not an integer or out of range"),
            };
        }
        let mut name = None;
        let mut index = 2;
        while index < args.len() {
            let option = args[index].to_ascii_uppercase();
            let remaining = args.len() - index - 1;
            match option.as_slice() {
                b"AUTH" if remaining >= 2 => {
                    let auth =
                        [Bytes::from_static(b"AUTH"), args[index + 1].clone(), args[index + 2].clone()];
                    let reply = self.auth(&auth, client_auth);
                    if reply.is_error() {
                        return reply;
                    }
                    index += 3;
                }
                b"SETNAME" if remaining >= 1 => {
                    if let Err(error) = validate_client_name(&args[index + 1]) {
                        return error;
                    }
                    name = Some(args[index + 1].clone());
                    index += 2;
                }
                _ => {
                    return Frame::error(format!(
                        "ERR Syntax error in HELLO option '{}'",
                        String::from_utf8_lossy(&args[index])
                    ))
                }
            }
        }
        if client_auth.required() && self.user.is_none() {
            return Frame::error(HELLO_NOAUTH);
        }
        self.protocol = protocol;
        if name.is_some() {
            self.name = name;
        }
        Frame::Map(vec![
            (Frame::bulk("server"), Frame::bulk("redis")),
            (Frame::bulk("version"), Frame::bulk(REDIS_COMPATIBLE_VERSION)),
            (Frame::bulk("proto"), Frame::Integer(protocol.version())),
            (Frame::bulk("id"), Frame::Integer(self.id as i64)),
            (Frame::bulk("mode"), Frame::bulk("standalone")),
            (Frame::bulk("role"), Frame::bulk("master")),
            (Frame::bulk("modules"), Frame::Array(Vec::new())),
            (Frame::bulk("proxy"), Frame::bulk(format!("dynomite-rs {}", env!("CARGO_PKG_VERSION")))),
        ])
    }

    /// `AUTH [username] password`: the `default` user's password is `requirepass`, named users are
    /// `users` (compared in constant time, [`ClientAuth::authenticate`]). Without either the proxy
    /// answers as a Redis whose default user is `nopass`. A wrong attempt leaves an earlier
    /// authentication in place, as in Redis.
    fn auth(&mut self, args: &[Bytes], client_auth: &ClientAuth) -> Frame {
        let (user, candidate) = match args {
            [_, candidate] => (None, candidate),
            [_, user, candidate] => (Some(user.as_ref()), candidate),
            _ => return Frame::error("ERR syntax error"),
        };
        match client_auth.authenticate(user, candidate) {
            Ok(identity) => {
                self.user = Some(identity);
                Frame::ok()
            }
            Err(AuthRefusal::NoDefaultPassword) => Frame::error(
                "ERR AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?",
            ),
            Err(AuthRefusal::Wrong) => Frame::error(WRONGPASS),
        }
    }

    fn client(&mut self, name: &str, args: &[Bytes]) -> Frame {
        match name {
            "CLIENT|ID" => Frame::Integer(self.id as i64),
            "CLIENT|GETNAME" => self.name.clone().map(Frame::Bulk).unwrap_or(Frame::Null),
            "CLIENT|SETNAME" => match validate_client_name(&args[2]) {
                Ok(()) => {
                    self.name = (!args[2].is_empty()).then(|| args[2].clone());
                    Frame::ok()
                }
                Err(error) => error,
            },
            "CLIENT|SETINFO" => self.set_info(&args[2], &args[3]),
            "CLIENT|INFO" => Frame::Verbatim { format: *b"txt", text: Bytes::from(self.info_line()) },
            _ => Frame::error(format!(
                "ERR CLIENT {} is not supported by Dynomite (the proxy answers ID, GETNAME, SETNAME, SETINFO, INFO)",
                String::from_utf8_lossy(&args[1]).to_ascii_uppercase()
            )),
        }
    }

    /// `CLIENT SETINFO LIB-NAME|LIB-VER value` (Redis 7.2; redis-py sends it on connect).
    fn set_info(&mut self, attribute: &Bytes, value: &Bytes) -> Frame {
        let has_bad_byte = value.iter().any(|byte| *byte < b'!' || *byte > b'~');
        if has_bad_byte || value.len() > CLIENT_NAME_BYTES_MAX {
            let attribute = String::from_utf8_lossy(attribute).to_ascii_lowercase();
            return Frame::error(format!(
                "ERR {attribute} cannot contain spaces, newlines or special characters."
            ));
        }
        match attribute.to_ascii_uppercase().as_slice() {
            b"LIB-NAME" => self.library_name = Some(value.clone()),
            b"LIB-VER" => self.library_version = Some(value.clone()),
            _ => {
                return Frame::error(format!(
                    "ERR Unrecognized option '{}'",
                    String::from_utf8_lossy(attribute)
                ))
            }
        }
        Frame::ok()
    }

    /// One `CLIENT INFO` line, in Redis's `key=value` shape for the fields the proxy knows.
    fn info_line(&self) -> String {
        let text = |value: &Option<Bytes>| {
            value.as_ref().map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default()
        };
        let address = self.peer.map(|peer| peer.to_string()).unwrap_or_default();
        format!(
            "id={} addr={} name={} db=0 resp={} lib-name={} lib-ver={}\n",
            self.id,
            address,
            text(&self.name),
            self.protocol.version(),
            text(&self.library_name),
            text(&self.library_version)
        )
    }

    /// `INFO [section ...]`: the node's own `# Dynomite` section followed by the datastore's INFO. The
    /// datastore gets the node's `timeout`; after it the node's section comes with a
    /// `datastore_error` line.
    fn info(&self, args: &[Bytes], node: &Arc<NodeShared>) -> Outcome {
        let protocol = self.protocol;
        let own = node.info_section();
        let datastore_reply = node.datastore.call(args, protocol, 0);
        let timeout_ms = node.timeout_ms();
        let merged = async move {
            let datastore_text = match datastore_reply {
                DatastoreReply::Ready(frame) => frame_text(&frame),
                DatastoreReply::Waiting(receiver) => {
                    match tokio::time::timeout(Duration::from_millis(timeout_ms), receiver).await {
                        Ok(Ok(Ok(raw))) => {
                            resp::parse_frame(&raw).map(|frame| frame_text(&frame)).unwrap_or_default()
                        }
                        Ok(Ok(Err(error))) => format!("# Datastore\r\ndatastore_error:{error}\r\n"),
                        Ok(Err(_)) => "# Datastore\r\ndatastore_error:connection lost\r\n".to_string(),
                        Err(_) => {
                            let error = DatastoreError::Timeout { timeout_ms };
                            format!("# Datastore\r\ndatastore_error:{error}\r\n")
                        }
                    }
                }
            };
            let text = format!("{own}\r\n{datastore_text}");
            Reply::Frame(match protocol {
                Protocol::Resp2 => Frame::Bulk(Bytes::from(text)),
                Protocol::Resp3 => Frame::Verbatim { format: *b"txt", text: Bytes::from(text) },
            })
        };
        Outcome {
            reply: Pending::Later(Box::pin(merged), protocol),
            close_after: false,
            class: RequestClass::Other,
            barrier: false,
        }
    }
}

/// The text of an INFO reply (bulk or verbatim), or the error text.
fn frame_text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => String::from_utf8_lossy(text).into_owned(),
        Frame::Error(text) => format!("# Datastore\r\ndatastore_error:{}\r\n", String::from_utf8_lossy(text)),
        _ => String::new(),
    }
}

fn select(index: &Bytes) -> Frame {
    match parse_integer(index) {
        Some(0) => Frame::ok(),
        Some(_) => Frame::error("ERR DB index is out of range (Dynomite serves database 0 only)"),
        None => Frame::error("ERR value is not an integer or out of range"),
    }
}

/// Whether `command` may run before the client authenticated: Redis's `no_auth` commands.
fn allowed_before_auth(command: &[u8]) -> bool {
    ["AUTH", "HELLO", "QUIT", "RESET"].iter().any(|name| command.eq_ignore_ascii_case(name.as_bytes()))
}

/// Counts a wrong password in the node's stats.
fn count_wrong_password(reply: &Frame, node: &NodeShared) {
    if matches!(reply, Frame::Error(text) if text.starts_with(b"WRONGPASS")) {
        node.stats.count_auth_failure();
    }
}

/// Redis forbids spaces, newlines and other non-printable bytes in client names.
fn validate_client_name(name: &Bytes) -> Result<(), Frame> {
    if name.len() > CLIENT_NAME_BYTES_MAX || name.iter().any(|byte| *byte < b'!' || *byte > b'~') {
        return Err(Frame::error("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    Ok(())
}

fn parse_integer(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use dynomite_core::config::ClientUser;
    use dynomite_core::request::KeyHasher;

    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
    }

    #[test]
    fn hello_switches_protocol_and_sets_the_name() {
        let mut session = Session::new(7, None);
        let open = ClientAuth::default();
        let reply = session.hello(&args(&["HELLO", "3", "SETNAME", "app"]), &open);
        assert!(matches!(reply, Frame::Map(_)), "{reply:?}");
        assert_eq!(session.protocol, Protocol::Resp3);
        assert_eq!(session.name.as_deref(), Some(&b"app"[..]));
        let reply = session.hello(&args(&["HELLO", "2"]), &open);
        assert!(matches!(reply, Frame::Map(_)));
        assert_eq!(session.protocol, Protocol::Resp2);
    }

    #[test]
    fn hello_errors_leave_the_session_unchanged() {
        let mut session = Session::new(1, None);
        let open = ClientAuth::default();
        let cases = [
            (&["HELLO", "4"][..], "NOPROTO unsupported protocol version"),
            (&["HELLO", "x"][..], "ERR Protocol version is not an integer or out of range"),
            (&["HELLO", "3", "SETNAME"][..], "ERR Syntax error in HELLO option 'SETNAME'"),
            (&["HELLO", "3", "FOO"][..], "ERR Syntax error in HELLO option 'FOO'"),
            (
                &["HELLO", "3", "AUTH", "bob", "pw"][..],
                "WRONGPASS invalid username-password pair or user is disabled.",
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(session.hello(&args(request), &open), Frame::error(expected), "{request:?}");
            assert_eq!(session.protocol, Protocol::Resp2, "{request:?} must not switch the protocol");
        }
        assert!(matches!(
            session.hello(&args(&["HELLO", "3", "AUTH", "default", "x"]), &open),
            Frame::Map(_)
        ));
    }

    #[test]
    fn with_requirepass_auth_and_hello_authenticate_like_redis() {
        let password = ClientAuth::new(Some("pw"), &[]);
        let mut session = Session::new(1, None);
        assert_eq!(session.auth(&args(&["AUTH", "nope"]), &password), Frame::error(WRONGPASS));
        assert_eq!(session.auth(&args(&["AUTH", "bob", "pw"]), &password), Frame::error(WRONGPASS));
        assert_eq!(session.user, None);
        assert_eq!(session.hello(&args(&["HELLO", "3"]), &password), Frame::error(HELLO_NOAUTH));
        assert_eq!(session.protocol, Protocol::Resp2, "a refused HELLO switches nothing");
        assert_eq!(session.auth(&args(&["AUTH", "default", "pw"]), &password), Frame::ok());
        assert_eq!(session.user.as_ref().map(|user| user.name.as_str()), Some("default"));
        // A later wrong attempt does not undo it (Redis keeps the connection's user).
        assert_eq!(session.auth(&args(&["AUTH", "x"]), &password), Frame::error(WRONGPASS));
        assert!(session.user.is_some());
        let mut fresh = Session::new(2, None);
        assert!(matches!(
            fresh.hello(&args(&["HELLO", "3", "AUTH", "default", "pw"]), &password),
            Frame::Map(_)
        ));
        assert!(fresh.user.is_some());
        assert_eq!(fresh.protocol, Protocol::Resp3);
        assert_eq!(
            Session::new(3, None).auth(&args(&["AUTH", "a", "b", "c"]), &password),
            Frame::error("ERR syntax error")
        );
    }

    #[test]
    fn named_users_log_in_with_their_own_password_and_role() {
        let users = [
            ClientUser { name: "reports".into(), password: "r-pw".into(), read_only: true },
            ClientUser { name: "app".into(), password: "a-pw".into(), read_only: false },
        ];
        let auth = ClientAuth::new(None, &users);
        assert!(auth.required(), "named users turn authentication on");
        let mut session = Session::new(1, None);
        // The default user has no password to give; another user's password is wrong.
        assert_eq!(session.auth(&args(&["AUTH", "anything"]), &auth), Frame::error(WRONGPASS));
        assert_eq!(session.auth(&args(&["AUTH", "default", "anything"]), &auth), Frame::error(WRONGPASS));
        assert_eq!(session.auth(&args(&["AUTH", "reports", "a-pw"]), &auth), Frame::error(WRONGPASS));
        assert_eq!(session.auth(&args(&["AUTH", "nobody", "r-pw"]), &auth), Frame::error(WRONGPASS));
        assert_eq!(session.user, None);
        assert_eq!(session.auth(&args(&["AUTH", "reports", "r-pw"]), &auth), Frame::ok());
        assert_eq!(session.user, Some(ClientIdentity { name: "reports".into(), read_only: true }));
        let mut app = Session::new(2, None);
        assert!(matches!(app.hello(&args(&["HELLO", "3", "AUTH", "app", "a-pw"]), &auth), Frame::Map(_)));
        assert_eq!(app.user, Some(ClientIdentity { name: "app".into(), read_only: false }));
        // With requirepass too, the default user logs in with it.
        let both = ClientAuth::new(Some("pw"), &users);
        assert_eq!(Session::new(3, None).auth(&args(&["AUTH", "pw"]), &both), Frame::ok());
    }

    #[test]
    fn a_read_only_user_is_refused_writes_with_noperm() {
        let hasher = KeyHasher { algorithm: dynomite_core::config::HashAlgorithm::Murmur, tag: None };
        let request = |words: &[&str]| Request::resolve(args(words), &hasher).expect("a request");
        let mut session = Session::new(1, None);
        session.user = Some(ClientIdentity { name: "reports".into(), read_only: true });
        assert_eq!(
            session.refuse_write(&request(&["SET", "k", "v"])),
            Some(Frame::error("NOPERM User reports has no permissions to run the 'set' command"))
        );
        assert_eq!(session.refuse_write(&request(&["GET", "k"])), None);
        assert_eq!(session.refuse_write(&request(&["HGETALL", "k"])), None);
        session.user = Some(ClientIdentity { name: "app".into(), read_only: false });
        assert_eq!(session.refuse_write(&request(&["SET", "k", "v"])), None);
    }

    #[test]
    fn only_redis_no_auth_commands_pass_before_auth() {
        for allowed in ["AUTH", "auth", "HELLO", "QUIT", "reset"] {
            assert!(allowed_before_auth(allowed.as_bytes()), "{allowed}");
        }
        for refused in
            ["GET", "PING", "INFO", "CLIENT", "COMMAND", "DYNO_CONFIG:CONN_CONSISTENCY", "FLUSHALL", "NOSUCH"]
        {
            assert!(!allowed_before_auth(refused.as_bytes()), "{refused}");
        }
    }

    #[test]
    fn client_names_follow_redis_rules() {
        let mut session = Session::new(1, None);
        assert!(session.client("CLIENT|SETNAME", &args(&["CLIENT", "SETNAME", "a b"])).is_error());
        assert_eq!(session.client("CLIENT|SETNAME", &args(&["CLIENT", "SETNAME", "ok"])), Frame::ok());
        assert_eq!(session.client("CLIENT|GETNAME", &args(&["CLIENT", "GETNAME"])), Frame::bulk("ok"));
        assert_eq!(session.client("CLIENT|SETNAME", &args(&["CLIENT", "SETNAME", ""])), Frame::ok());
        assert_eq!(session.client("CLIENT|GETNAME", &args(&["CLIENT", "GETNAME"])), Frame::Null);
        assert_eq!(session.client("CLIENT|ID", &args(&["CLIENT", "ID"])), Frame::Integer(1));
        let setinfo = |value: &str| {
            Session::new(1, None).client("CLIENT|SETINFO", &args(&["CLIENT", "SETINFO", "LIB-NAME", value]))
        };
        assert_eq!(setinfo("redis-py"), Frame::ok());
        assert!(setinfo("has space").is_error());
        assert!(Session::new(1, None)
            .client("CLIENT|SETINFO", &args(&["CLIENT", "SETINFO", "LIB-COLOR", "x"]))
            .is_error());
    }

    #[test]
    fn select_serves_database_zero_only() {
        assert_eq!(select(&Bytes::from_static(b"0")), Frame::ok());
        assert!(select(&Bytes::from_static(b"1")).is_error());
        assert_eq!(
            select(&Bytes::from_static(b"x")),
            Frame::error("ERR value is not an integer or out of range")
        );
    }
}
