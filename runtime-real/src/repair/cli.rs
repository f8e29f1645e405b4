//! `dynomite repair`: starts a range repair on a node through its admin port (`/repair/start`), or shows
//! its progress (`/repair/status`), through the admin client of `dynomite status`.

use std::time::Duration;

use clap::Args;

use crate::admin::client::request;

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
