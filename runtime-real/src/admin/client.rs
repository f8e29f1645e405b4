//! A minimal HTTP/1.1 client for a node's admin port, for the CLI subcommands (`dynomite status`,
//! `dynomite repair`):
//! one request per connection, as the admin port serves them, bounded in time and size.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Time allowed for one admin request.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Bytes of admin answer read at most.
const ANSWER_BYTES_MAX: usize = 4 * 1024 * 1024;

/// One admin request; the body of a 200 answer, or an error naming the status and body.
pub async fn request(admin: &str, method: &str, path: &str) -> Result<String, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(admin).await?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {admin}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await?;
        stream.flush().await?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let read = stream.read(&mut chunk).await?;
            if read == 0 || answer.len() + read > ANSWER_BYTES_MAX {
                break;
            }
            answer.extend_from_slice(&chunk[..read]);
        }
        Ok::<Vec<u8>, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_millis(REQUEST_TIMEOUT_MS), exchange)
        .await
        .map_err(|_| format!("{admin} did not answer {path} within {REQUEST_TIMEOUT_MS} ms"))?
        .map_err(|error| format!("cannot reach the admin port {admin}: {error}"))?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap_or("");
    if status == "200" {
        Ok(body.to_string())
    } else {
        Err(format!("{admin}{path} answered {status}: {}", body.trim_end()))
    }
}
