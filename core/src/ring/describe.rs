//! C Dynomite's `/cluster_describe` answer as plain data, and its JSON text.
//!
//! The shape is `{"dcs":[{"name","racks":[{"name","servers":[{"name","host","port","token"}]}]}]}`
//! (`stats_make_cl_desc_rsp` in `src/dyn_stats.c`). As in C, `name` and `host` are the node's host
//! (C may put the local node's public IP/hostname there; we report its `dyn_listen` host), `port` is
//! its peer port and `token` its first configured token. The types derive `serde::Serialize` for the
//! runtime; [`ClusterDescription::to_json`] builds the same text without serde_json.

use std::fmt::Write as _;

use serde::Serialize;

/// The whole cluster: `{"dcs":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterDescription {
    /// Datacenters, sorted by name.
    pub dcs: Vec<DatacenterDescription>,
}

/// One datacenter: `{"name":..., "racks":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatacenterDescription {
    /// The datacenter's name.
    pub name: String,
    /// Its racks, sorted by name.
    pub racks: Vec<RackDescription>,
}

/// One rack: `{"name":..., "servers":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RackDescription {
    /// The rack's name.
    pub name: String,
    /// Its nodes in ring order.
    pub servers: Vec<ServerDescription>,
}

/// One node: `{"name":..., "host":..., "port":..., "token":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerDescription {
    /// The node's host (C Dynomite: its IP address).
    pub name: String,
    /// The node's host.
    pub host: String,
    /// The node's peer (`dyn_listen`) port.
    pub port: u16,
    /// The node's first configured token.
    pub token: u32,
}

impl ClusterDescription {
    /// Compact JSON text of the description, strings escaped per RFC 8259.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"dcs\":[");
        for (index, datacenter) in self.dcs.iter().enumerate() {
            separator(&mut out, index);
            out.push_str("{\"name\":");
            push_json_string(&mut out, &datacenter.name);
            out.push_str(",\"racks\":[");
            for (index, rack) in datacenter.racks.iter().enumerate() {
                separator(&mut out, index);
                push_rack(&mut out, rack);
            }
            out.push_str("]}");
        }
        out.push_str("]}");
        out
    }
}

/// Appends one rack object.
fn push_rack(out: &mut String, rack: &RackDescription) {
    out.push_str("{\"name\":");
    push_json_string(out, &rack.name);
    out.push_str(",\"servers\":[");
    for (index, server) in rack.servers.iter().enumerate() {
        separator(out, index);
        out.push_str("{\"name\":");
        push_json_string(out, &server.name);
        out.push_str(",\"host\":");
        push_json_string(out, &server.host);
        // Writing to a String cannot fail.
        let _ = write!(out, ",\"port\":{},\"token\":{}}}", server.port, server.token);
    }
    out.push_str("]}");
}

/// A comma before every element but the first.
fn separator(out: &mut String, index: usize) {
    if index > 0 {
        out.push(',');
    }
}

/// Appends `text` as a quoted JSON string.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}
