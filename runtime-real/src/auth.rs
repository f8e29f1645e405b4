//! Secrets: the client password (`requirepass`), the admin token (`admin_token`) and the cluster
//! secret of peer links (`peer_secret`).
//!
//! - Passwords and tokens are compared in constant time: both sides are put through HMAC-SHA256 and
//!   the tags compared with `ring::hmac::verify`, so neither the content nor the length of a wrong
//!   guess shows in how long the answer takes.
//! - Peer links prove the cluster secret without sending it (the handshake is described in
//!   `dynomite_core::peer`): the opening side sends HMAC(secret, "hello" ‖ challenge ‖ its nonce ‖
//!   its identity), the accepting side HMAC(secret, "welcome" ‖ challenge ‖ that nonce). Fresh nonces
//!   on both sides make a recorded handshake worthless.
//! - Nonces come from an injected [`Random`]: the operating system's generator in production, a
//!   seeded one under the simulator (so runs replay).

use std::sync::Arc;

use bytes::Bytes;
use dynomite_core::peer::NodeIdentity;
use ring::hmac;
use ring::rand::SecureRandom;

/// Bytes of every handshake nonce.
pub const NONCE_BYTES: usize = 32;
/// Fixed HMAC key of the constant-time comparison (it hides nothing; the comparison is what matters).
const COMPARE_KEY: &[u8] = b"dynomite-rs constant-time comparison";

/// The random source could not give bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed")]
pub struct RandomUnavailable;

/// A source of unpredictable bytes.
pub trait Random: Send + Sync + 'static {
    /// Fills `bytes`.
    fn fill(&self, bytes: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// Shared handle to a random source.
pub type SharedRandom = Arc<dyn Random>;

/// The operating system's generator (through `ring`).
#[derive(Debug)]
pub struct OsRandom(ring::rand::SystemRandom);

impl Default for OsRandom {
    fn default() -> OsRandom {
        OsRandom::new()
    }
}

impl OsRandom {
    /// The OS generator.
    pub fn new() -> OsRandom {
        OsRandom(ring::rand::SystemRandom::new())
    }
}

impl Random for OsRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), RandomUnavailable> {
        self.0.fill(bytes).map_err(|_| RandomUnavailable)
    }
}

/// A fresh nonce from `random`.
pub fn nonce(random: &dyn Random) -> Result<Bytes, RandomUnavailable> {
    let mut bytes = [0u8; NONCE_BYTES];
    random.fill(&mut bytes)?;
    Ok(Bytes::copy_from_slice(&bytes))
}

/// A password or token, kept only as an HMAC tag and checked in constant time.
pub struct Password {
    key: hmac::Key,
    tag: hmac::Tag,
}

impl Password {
    /// Keeps `password` for [`Password::matches`].
    pub fn new(password: &str) -> Password {
        let key = hmac::Key::new(hmac::HMAC_SHA256, COMPARE_KEY);
        let tag = hmac::sign(&key, password.as_bytes());
        Password { key, tag }
    }

    /// True when `candidate` is the password (constant time in the candidate's bytes and length).
    pub fn matches(&self, candidate: &[u8]) -> bool {
        hmac::verify(&self.key, candidate, self.tag.as_ref()).is_ok()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Password(..)")
    }
}

/// Who may use the client port: the `default` user's password (`requirepass`) and the named users
/// (`users`). With neither, every connection is the `default` user with no password, as in Redis.
#[derive(Debug, Default)]
pub struct ClientAuth {
    default: Option<Password>,
    users: Vec<NamedUser>,
}

#[derive(Debug)]
struct NamedUser {
    name: String,
    password: Password,
    read_only: bool,
}

/// The user a connection authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `default` or a name from `users`.
    pub name: String,
    /// True for a `read-only` user: writes are refused with `NOPERM`.
    pub read_only: bool,
}

/// Why `AUTH` did not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRefusal {
    /// `AUTH password` while the `default` user has no password (Redis's error for it).
    NoDefaultPassword,
    /// Unknown user or wrong password (`WRONGPASS`).
    Wrong,
}

impl ClientAuth {
    /// From the configuration's `requirepass` and `users`.
    pub fn new(default: Option<&str>, users: &[dynomite_core::config::ClientUser]) -> ClientAuth {
        ClientAuth {
            default: default.map(Password::new),
            users: users
                .iter()
                .map(|user| NamedUser {
                    name: user.name.clone(),
                    password: Password::new(&user.password),
                    read_only: user.read_only,
                })
                .collect(),
        }
    }

    /// True when a connection must authenticate before anything else.
    pub fn required(&self) -> bool {
        self.default.is_some() || !self.users.is_empty()
    }

    /// Checks `AUTH [user] candidate`: the `default` user (no user name, or `default`) against
    /// `requirepass`, a named user against its own password (constant time in the candidate).
    pub fn authenticate(&self, user: Option<&[u8]>, candidate: &[u8]) -> Result<ClientIdentity, AuthRefusal> {
        match user {
            None | Some(b"default") => match &self.default {
                Some(password) if password.matches(candidate) => {
                    Ok(ClientIdentity { name: "default".to_string(), read_only: false })
                }
                Some(_) => Err(AuthRefusal::Wrong),
                // Redis: a default user without a password accepts `AUTH default <anything>`, and
                // refuses `AUTH <password>` with its own error. Named users turn the default user off.
                None if !self.users.is_empty() => Err(AuthRefusal::Wrong),
                None if user.is_some() => {
                    Ok(ClientIdentity { name: "default".to_string(), read_only: false })
                }
                None => Err(AuthRefusal::NoDefaultPassword),
            },
            Some(name) => {
                let user = self.users.iter().find(|user| user.name.as_bytes() == name);
                match user {
                    Some(user) if user.password.matches(candidate) => {
                        Ok(ClientIdentity { name: user.name.clone(), read_only: user.read_only })
                    }
                    _ => Err(AuthRefusal::Wrong),
                }
            }
        }
    }
}

/// The cluster secret of peer links, or none (then every proof is empty and any proof is accepted:
/// the cluster trusts its network or mutual TLS).
#[derive(Clone)]
pub struct PeerSecret {
    key: Option<hmac::Key>,
}

impl std::fmt::Debug for PeerSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(if self.key.is_some() { "PeerSecret(set)" } else { "PeerSecret(none)" })
    }
}

impl PeerSecret {
    /// From `peer_secret`.
    pub fn new(secret: Option<&str>) -> PeerSecret {
        PeerSecret { key: secret.map(|secret| hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())) }
    }

    /// True when links must prove the secret.
    pub fn is_set(&self) -> bool {
        self.key.is_some()
    }

    /// The opening side's proof: over the challenge, its nonce and its identity.
    pub fn hello_proof(&self, challenge: &[u8], nonce: &[u8], identity: &NodeIdentity) -> Bytes {
        self.sign(&hello_message(challenge, nonce, identity))
    }

    /// Whether a `Hello`'s proof is right (always, without a secret).
    pub fn hello_proof_is_valid(
        &self,
        challenge: &[u8],
        nonce: &[u8],
        identity: &NodeIdentity,
        proof: &[u8],
    ) -> bool {
        self.verify(&hello_message(challenge, nonce, identity), proof)
    }

    /// The accepting side's proof: over the challenge it sent and the opening side's nonce.
    pub fn welcome_proof(&self, challenge: &[u8], nonce: &[u8]) -> Bytes {
        self.sign(&welcome_message(challenge, nonce))
    }

    /// Whether a `Welcome`'s proof is right (always, without a secret).
    pub fn welcome_proof_is_valid(&self, challenge: &[u8], nonce: &[u8], proof: &[u8]) -> bool {
        self.verify(&welcome_message(challenge, nonce), proof)
    }

    fn sign(&self, message: &[u8]) -> Bytes {
        match &self.key {
            Some(key) => Bytes::copy_from_slice(hmac::sign(key, message).as_ref()),
            None => Bytes::new(),
        }
    }

    fn verify(&self, message: &[u8], proof: &[u8]) -> bool {
        if dynomite_core::mutant!(PeerProofIgnored) {
            return true;
        }
        match &self.key {
            Some(key) => hmac::verify(key, message, proof).is_ok(),
            None => true,
        }
    }
}

/// Length-prefixed fields, so that no two different field lists give the same bytes.
fn push_field(message: &mut Vec<u8>, field: &[u8]) {
    message.extend_from_slice(&(field.len() as u32).to_be_bytes());
    message.extend_from_slice(field);
}

fn hello_message(challenge: &[u8], nonce: &[u8], identity: &NodeIdentity) -> Vec<u8> {
    let mut message = b"dynomite-rs peer hello v2".to_vec();
    for field in [
        challenge,
        nonce,
        identity.datacenter.as_bytes(),
        identity.rack.as_bytes(),
        identity.address.as_bytes(),
    ] {
        push_field(&mut message, field);
    }
    let tokens: Vec<u8> = identity.tokens.iter().flat_map(|token| token.to_be_bytes()).collect();
    push_field(&mut message, &tokens);
    message
}

fn welcome_message(challenge: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut message = b"dynomite-rs peer welcome v2".to_vec();
    push_field(&mut message, challenge);
    push_field(&mut message, nonce);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> NodeIdentity {
        NodeIdentity {
            datacenter: "dc1".into(),
            rack: "r1".into(),
            address: "127.0.0.1:8101".into(),
            tokens: vec![7],
        }
    }

    #[test]
    fn passwords_match_only_themselves() {
        let password = Password::new("s3cret");
        assert!(password.matches(b"s3cret"));
        for wrong in [&b""[..], b"s3cre", b"s3cret ", b"S3cret", b"s3cret\0"] {
            assert!(!password.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn proofs_bind_the_secret_both_nonces_and_the_identity() {
        let secret = PeerSecret::new(Some("0123456789abcdef"));
        let (challenge, nonce) = ([1u8; 32], [2u8; 32]);
        let proof = secret.hello_proof(&challenge, &nonce, &identity());
        assert_eq!(proof.len(), 32);
        assert!(secret.hello_proof_is_valid(&challenge, &nonce, &identity(), &proof));
        // Another challenge (a replay), another nonce, another identity, another secret: refused.
        assert!(!secret.hello_proof_is_valid(&[3u8; 32], &nonce, &identity(), &proof));
        assert!(!secret.hello_proof_is_valid(&challenge, &[3u8; 32], &identity(), &proof));
        let other = NodeIdentity { rack: "r2".into(), ..identity() };
        assert!(!secret.hello_proof_is_valid(&challenge, &nonce, &other, &proof));
        let stranger = PeerSecret::new(Some("fedcba9876543210"));
        assert!(!secret.hello_proof_is_valid(
            &challenge,
            &nonce,
            &identity(),
            &stranger.hello_proof(&challenge, &nonce, &identity())
        ));
        assert!(!secret.hello_proof_is_valid(&challenge, &nonce, &identity(), b""));
        // The welcome proof is a different message: a hello proof does not pass for one.
        let welcome = secret.welcome_proof(&challenge, &nonce);
        assert!(secret.welcome_proof_is_valid(&challenge, &nonce, &welcome));
        assert!(!secret.welcome_proof_is_valid(&challenge, &nonce, &proof));
    }

    #[test]
    fn without_a_secret_proofs_are_empty_and_accepted() {
        let open = PeerSecret::new(None);
        assert!(!open.is_set());
        assert!(open.hello_proof(&[1; 32], &[2; 32], &identity()).is_empty());
        assert!(open.hello_proof_is_valid(&[1; 32], &[2; 32], &identity(), b"anything"));
    }

    #[test]
    fn os_nonces_differ() {
        let random = OsRandom::new();
        assert_ne!(nonce(&random).unwrap(), nonce(&random).unwrap());
    }
}
