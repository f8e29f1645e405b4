//! A stranger on the peer port (issue 10.2): during the fault phase a host that is not a cluster
//! member connects to one node's `dyn_listen` (drawn from the seed) and tries to make it write
//! [`CANARY_KEY`] twice: once with request frames sent straight away, once after a `Hello` whose proof
//! was made with a wrong secret. After the run every node's datastore is read; the canary anywhere
//! fails the run ("strangers on the peer port run nothing"). Mutant `peer-proof-ignored` accepts any
//! proof, and this is what catches it.

#[cfg(madsim)]
pub use simulation::{canaries, draw, intrude};

use crate::checkers::Verdict;

/// The key a stranger tries to write (outside every workload keyspace).
pub const CANARY_KEY: &str = "stranger:canary";
/// Name of the verdict.
pub const STRANGERS_RUN_NOTHING: &str = "strangers on the peer port run nothing";

#[cfg(madsim)]
mod simulation {
    use std::net::SocketAddr;
    use std::time::Duration;

    use bytes::{Bytes, BytesMut};
    use dynomite::auth::PeerSecret;
    use dynomite_core::config::Consistency;
    use dynomite_core::peer::{self, NodeIdentity, PeerMessage, PEER_PROTOCOL_VERSION};
    use dynomite_core::resp::{Frame, Protocol};
    use dynomite_sim::{command_once, SimCluster};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::CANARY_KEY;

    /// The secret the stranger guesses (the simulated cluster's is another).
    const GUESSED_SECRET: &str = "a-stranger-guesses-this";
    /// Mixed into the seed for the stranger's draws.
    const STRANGER_SEED_SALT: u64 = 0x7374_7261_6e67_6572;
    /// The stranger's attempts fall in this window of the fault phase (ms after the workload starts).
    const ATTEMPT_WINDOW_MS: std::ops::Range<u64> = 2_000..20_000;
    /// How long the stranger waits for bytes from the node before it gives up on an attempt.
    const READ_TIMEOUT_MS: u64 = 2_000;

    /// When (ms after start) and against which node the stranger tries, from the seed.
    pub fn draw(seed: u64, nodes: usize) -> (u64, usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ STRANGER_SEED_SALT);
        (rng.gen_range(ATTEMPT_WINDOW_MS), rng.gen_range(0..nodes.max(1)))
    }

    /// Both attempts against `target` (errors end an attempt: a node that closes on the stranger is the
    /// expected outcome).
    pub async fn intrude(target: SocketAddr, seed: u64) {
        let value = Bytes::from(format!("seed-{seed}"));
        let write = |request_id| PeerMessage::Request {
            request_id,
            protocol: Protocol::Resp2,
            args: vec![Bytes::from_static(b"SET"), Bytes::from_static(CANARY_KEY.as_bytes()), value.clone()],
        };
        let forward = |request_id| PeerMessage::ForwardToDatacenter {
            request_id,
            protocol: Protocol::Resp2,
            consistency: Consistency::DcOne,
            args: vec![Bytes::from_static(b"SET"), Bytes::from_static(CANARY_KEY.as_bytes()), value.clone()],
        };
        // 1. No handshake: requests at once.
        let _ = send_and_drain(target, None, &[write(1), forward(2)]).await;
        // 2. A Hello proving a guessed secret, then the same requests.
        let _ = send_and_drain(target, Some(GUESSED_SECRET), &[write(3), forward(4)]).await;
    }

    async fn send_and_drain(
        target: SocketAddr,
        secret: Option<&str>,
        requests: &[PeerMessage],
    ) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(target).await?;
        let mut input = BytesMut::new();
        let mut frames = BytesMut::new();
        if let Some(secret) = secret {
            let challenge = loop {
                match peer::decode(&mut input) {
                    Ok(Some(PeerMessage::Challenge { nonce })) => break nonce,
                    Ok(Some(_)) | Err(_) => return Ok(()),
                    Ok(None) => read_some(&mut stream, &mut input).await?,
                }
            };
            let identity = NodeIdentity {
                datacenter: "dc1".to_string(),
                rack: "rack1".to_string(),
                address: "10.255.0.1:8101".to_string(),
                tokens: vec![1],
            };
            let nonce = Bytes::from_static(&[7; 32]);
            let proof = PeerSecret::new(Some(secret)).hello_proof(&challenge, &nonce, &identity);
            peer::encode(
                &PeerMessage::Hello { version: PEER_PROTOCOL_VERSION, node: identity, nonce, proof },
                &mut frames,
            );
        }
        for request in requests {
            peer::encode(request, &mut frames);
        }
        stream.write_all(&frames).await?;
        stream.flush().await?;
        // Read what comes back until the node closes (or stays silent): the answers do not matter, only
        // whether the canary lands.
        while read_some(&mut stream, &mut input).await.is_ok() {}
        Ok(())
    }

    async fn read_some(stream: &mut TcpStream, input: &mut BytesMut) -> std::io::Result<()> {
        match tokio::time::timeout(Duration::from_millis(READ_TIMEOUT_MS), stream.read_buf(input)).await {
            Ok(Ok(0)) => Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    /// The canary as every node's datastore holds it (`node index: value`), read after the run.
    pub async fn canaries(cluster: SimCluster) -> Vec<String> {
        let mut found = Vec::new();
        for index in 0..cluster.nodes().len() {
            match command_once(cluster.datastore_address(index), &["GET", CANARY_KEY]).await {
                Ok(Frame::Null) => {}
                Ok(frame) => found.push(format!("node {index} holds {CANARY_KEY} = {frame:?}")),
                Err(error) => {
                    found.push(format!("node {index} unreadable ({error}): cannot rule the canary out"))
                }
            }
        }
        found
    }
}

/// Fails when any node holds the canary.
pub fn verdict(found: &[String], attempted: bool) -> Verdict {
    let detail = match (attempted, found.is_empty()) {
        (false, _) => "no attempt in this run".to_string(),
        (true, true) => "two attempts (no handshake; a wrong proof), nothing ran".to_string(),
        (true, false) => format!("{} violation(s): {}", found.len(), found.join("; ")),
    };
    Verdict { name: STRANGERS_RUN_NOTHING, passed: found.is_empty(), detail, soft: false }
}
