//! `dynomite status`: reads a running node's admin port (`/ring`) and prints the ring as a table —
//! datacenter, rack, node, tokens and share of its rack's ring, state, and the node's mean round trip
//! to each peer — or, with `--json`, the `/ring` document (one line per refresh). `--watch` refreshes
//! every `--interval` seconds until Ctrl-C.
//!
//! States are the node's view: its own state (`NORMAL`, `STANDBY`, ...) and, for each peer, `UP` (a
//! link connection is open), `DOWN` (marked down by the admin port or auto-ejected) or `UNREACHABLE`.

use std::fmt::Write;
use std::future::Future;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::admin::client::request;

/// Arguments of `dynomite status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The node's admin address (its `stats_listen`).
    #[arg(long = "admin", value_name = "HOST:PORT", default_value = "127.0.0.1:22222")]
    pub admin: String,
    /// Print the `/ring` JSON document instead of the table (one line per refresh).
    #[arg(long)]
    pub json: bool,
    /// Refresh until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between two refreshes of `--watch`.
    #[arg(long, value_name = "SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
}

/// Runs `dynomite status` until done (or, with `--watch`, until `shutdown` completes).
pub async fn run(args: StatusArgs, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    if !args.watch {
        println!("{}", show(&args).await?);
        return Ok(());
    }
    let clear = !args.json && std::io::IsTerminal::is_terminal(&std::io::stdout());
    tokio::pin!(shutdown);
    loop {
        let shown = show(&args).await.unwrap_or_else(|error| format!("dynomite status: {error}"));
        if clear {
            print!("\x1b[2J\x1b[H");
        }
        println!("{shown}");
        if !args.json && !clear {
            println!();
        }
        tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(args.interval)) => {}
        }
    }
}

/// One reading: the table, or the JSON line.
async fn show(args: &StatusArgs) -> Result<String, String> {
    let body = request(&args.admin, "GET", "/ring").await?;
    let ring: Value = serde_json::from_str(&body)
        .map_err(|error| format!("{}/ring is not JSON ({error}): {body}", args.admin))?;
    if args.json {
        return Ok(ring.to_string());
    }
    Ok(table(&ring))
}

/// The `/ring` document as a table, sorted by datacenter, rack and first token.
pub fn table(ring: &Value) -> String {
    let mut nodes: Vec<&Value> =
        ring["nodes"].as_array().map(|nodes| nodes.iter().collect()).unwrap_or_default();
    nodes.sort_by_key(|node| {
        (
            node["dc"].as_str().unwrap_or("").to_string(),
            node["rack"].as_str().unwrap_or("").to_string(),
            node["tokens"][0].as_u64().unwrap_or(0),
        )
    });
    let header = ["DC", "RACK", "NODE", "TOKENS", "SHARE", "STATE", "LATENCY"];
    let rows: Vec<[String; 7]> = nodes.iter().map(|node| row(node)).collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = format!("ring as seen by {}\n", ring["source"].as_str().unwrap_or("?"));
    let mut line = |cells: &[String]| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(&header.map(String::from));
    for row in &rows {
        line(row);
    }
    out.trim_end().to_string()
}

/// One node's cells.
fn row(node: &Value) -> [String; 7] {
    let text = |key: &str| node[key].as_str().unwrap_or("?").to_string();
    let tokens = node["tokens"]
        .as_array()
        .map(|tokens| tokens.iter().map(Value::to_string).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    let share = node["ring_share"].as_f64().map_or("?".to_string(), |share| format!("{:.1}%", share * 100.0));
    let mut name = text("name");
    if node["local"] == true {
        name.push_str(" (this node)");
    }
    let latency = if node["local"] == true {
        "-".to_string()
    } else {
        node["latency_us"].as_u64().map_or("n/a".to_string(), latency_text)
    };
    [text("dc"), text("rack"), name, tokens, share, text("state"), latency]
}

/// Microseconds as `850us` or `1.25ms`.
fn latency_text(microseconds: u64) -> String {
    if microseconds < 1000 {
        format!("{microseconds}us")
    } else {
        format!("{:.2}ms", microseconds as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_is_sorted_and_aligned() {
        let ring = json!({"source": "127.0.0.1:8101", "nodes": [
            {"dc": "dc1", "rack": "r2", "name": "127.0.0.1:8103", "tokens": [0], "ring_share": 1.0,
             "local": false, "state": "UP", "latency_us": 1250},
            {"dc": "dc1", "rack": "r1", "name": "127.0.0.1:8101", "tokens": [2147483648u64], "ring_share": 0.5,
             "local": true, "state": "NORMAL", "latency_us": null},
            {"dc": "dc1", "rack": "r1", "name": "127.0.0.1:8102", "tokens": [0], "ring_share": 0.5,
             "local": false, "state": "UNREACHABLE", "latency_us": null},
        ]});
        let expected = "\
ring as seen by 127.0.0.1:8101
DC   RACK  NODE                        TOKENS      SHARE   STATE        LATENCY
dc1  r1    127.0.0.1:8102              0           50.0%   UNREACHABLE  n/a
dc1  r1    127.0.0.1:8101 (this node)  2147483648  50.0%   NORMAL       -
dc1  r2    127.0.0.1:8103              0           100.0%  UP           1.25ms";
        assert_eq!(table(&ring), expected);
        assert_eq!(latency_text(999), "999us");
    }
}
