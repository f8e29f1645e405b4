//! No phantom values: reads only return values somebody tried to write.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checkers::{show, Verdict, Violations};
use crate::history::{History, OpKind};

/// The checker's name.
pub const NO_PHANTOM_VALUES: &str = "no phantom values";

/// Passes when every `Ok` read returned nil or a value that some client attempted to write to that
/// key (whatever the write's outcome) in a write invoked no later than the read completed. A value
/// nobody wrote, or one written only after the read had returned, was invented or corrupted.
pub fn no_phantom_values(history: &History) -> Verdict {
    let mut earliest_write_ms: BTreeMap<(&Bytes, &Bytes), u64> = BTreeMap::new();
    for write in history.operations.iter().filter(|operation| operation.kind == OpKind::Write) {
        if let Some(value) = &write.value {
            let earliest = earliest_write_ms.entry((&write.key, value)).or_insert(write.invoked_ms);
            *earliest = (*earliest).min(write.invoked_ms);
        }
    }
    let mut violations = Violations::default();
    let mut reads = 0usize;
    for read in &history.operations {
        let Some(Some(value)) = read.read_value() else { continue };
        reads += 1;
        let written = earliest_write_ms.get(&(&read.key, value));
        if !matches!(written, Some(invoked_ms) if *invoked_ms <= read.completed_ms) {
            violations.push(|| {
                format!(
                    "read {} of {} returned {} which no write invoked by {} ms wrote",
                    read.id,
                    show(&read.key),
                    show(value),
                    read.completed_ms
                )
            });
        }
    }
    violations.into_verdict(NO_PHANTOM_VALUES, format!("{reads} non-nil reads"))
}
