//! No phantom values: a register read returns nil or a value some request wrote to that key.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checkers::{show, show_operation, Verdict, Violations};
use crate::history::{History, KeyFamily};

/// The checker's name.
pub const NO_PHANTOM_VALUES: &str = "no phantom values";

/// Passes when every `Ok` register read (GET, each key of an MGET) returned nil or a value that some
/// request (whatever its outcome) wrote to that key (SET, MSET) and sent no later than the read
/// completed. Values name their key, so a value of another key (a mixed-up MGET merge) or one nobody
/// wrote is caught.
pub fn no_phantom_values(history: &History) -> Verdict {
    let mut earliest_write_ms: BTreeMap<(&Bytes, &Bytes), u64> = BTreeMap::new();
    for operation in &history.operations {
        for key in operation.command.keys() {
            if let Some(Some(value)) = operation.command.register_write(key) {
                let earliest = earliest_write_ms.entry((key, value)).or_insert(operation.invoked_ms);
                *earliest = (*earliest).min(operation.invoked_ms);
            }
        }
    }
    let mut violations = Violations::default();
    let mut reads = 0usize;
    for read in &history.operations {
        for key in read.command.keys() {
            if !KeyFamily::of(key).is_some_and(KeyFamily::is_register) {
                continue;
            }
            let Some(Some(value)) = read.read_value(key) else { continue };
            reads += 1;
            let written = earliest_write_ms.get(&(key, value));
            if !matches!(written, Some(invoked_ms) if *invoked_ms <= read.completed_ms) {
                violations.push(|| {
                    format!(
                        "{} of {} returned {} which no write of that key sent by then wrote",
                        show_operation(read),
                        show(key),
                        show(value)
                    )
                });
            }
        }
    }
    violations.into_verdict(NO_PHANTOM_VALUES, format!("{reads} non-nil register reads"))
}
