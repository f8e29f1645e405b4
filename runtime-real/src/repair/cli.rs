//! `dynomite repair`: starts a range repair on a node through its admin port (`/repair/start`), or shows
//! its progress (`/repair/status`). A small HTTP/1.1 client over tokio: one request per connection,
//! as the admin port serves them.

use std::time::Duration;

use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Time allowed for one admin request.
const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Bytes of admin answer read at most.
const ANSWER_BYTES_MAX: usize = 1024 * 1024;
/// Pause between two status polls of `--wait`.
const POLL_INTERVAL_MS: u64 = 1_000;

/// Arguments of `dynomite repair`.
#[derive(Debug, Clone, Args)]
pub struct RepairArgs {
    /// The node's admin address (its `stats_listen`).
    #[arg(long = "admin", value_name = "HOST:PORT", default_value = "127.0.0.1:22222")]
    pub admin: String,
    /// Only print the repair's progress (JSON), start nothing.
    #[arg(long)]
    pub status: bool,
    /// Repair this inclusive token range instead of the node's own ranges (any node coordinates it).
    #[arg(long, value_name = "FIRST:LAST")]
    pub range: Option<String>,
    /// After starting the range repair, wait until it has finished and print its final progress.
    #[arg(long)]
    pub wait: bool,
}

/// Runs `dynomite repair`.
pub async fn run(args: RepairArgs) -> Result<(), String> {
    if args.status {
        println!("{}", request(&args.admin, "GET", "/repair/status").await?.trim_end());
        return Ok(());
    }
    let runs_before = runs(&request(&args.admin, "GET", "/repair/status").await?);
    let path = match &args.range {
        None => "/repair/start".to_string(),
        Some(range) => {
            let tokens = range
                .split_once(':')
                .and_then(|(first, last)| Some((first.parse::<u32>().ok()?, last.parse::<u32>().ok()?)));
            let Some((first, last)) = tokens.filter(|(first, last)| first <= last) else {
                return Err(format!(
                    "--range {range}: expected FIRST:LAST, two tokens 0..=4294967295, FIRST <= LAST"
                ));
            };
            format!("/repair/start/{first}/{last}")
        }
    };
    request(&args.admin, "POST", &path).await?;
    println!("range repair started on {}", args.admin);
    if !args.wait {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
        let status = request(&args.admin, "GET", "/repair/status").await?;
        if runs(&status) > runs_before {
            println!("{}", status.trim_end());
            return Ok(());
        }
    }
}

/// Completed range repairs in a `/repair/status` document.
fn runs(status: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(status)
        .ok()
        .and_then(|document| document["range"]["runs"].as_u64())
        .unwrap_or(0)
}

/// One admin request; the body of a 200 answer, or an error with the status and body.
async fn request(admin: &str, method: &str, path: &str) -> Result<String, String> {
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
