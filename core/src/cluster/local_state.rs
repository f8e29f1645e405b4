//! The node's own state, set by the admin port (`/state/...`), with C Dynomite's meaning: a node being
//! warmed up from its peers is put in `STANDBY` (it serves nothing), then `WRITES_ONLY` or `RESUMING`
//! (writes go through, reads are refused while its data is incomplete), then `NORMAL`.
//!
//! A refused request gets C's text, [`STATE_REJECTED_TEXT`], whether it came from a client or a peer.

use crate::command::Access;

/// C Dynomite's error for a request the node's state refuses (`DYNOMITE_INVALID_STATE`).
pub const STATE_REJECTED_TEXT: &str = "ERR Dynomite: Dynomite's current state does not allow this request";

/// What this node serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalState {
    /// Serves everything (the state a node starts in).
    Normal,
    /// Serves nothing: reads and writes from clients and peers are refused.
    Standby,
    /// Writes only: reads are refused.
    WritesOnly,
    /// Writes only, on the way back to normal (C: "flush the queued writes"): reads are refused.
    Resuming,
}

impl LocalState {
    /// Every state, in wire-code order.
    pub const ALL: [LocalState; 4] =
        [LocalState::Normal, LocalState::Standby, LocalState::WritesOnly, LocalState::Resuming];

    /// C Dynomite's name (`/state/get_state` answers `State: <name>`).
    pub fn name(self) -> &'static str {
        match self {
            LocalState::Normal => "NORMAL",
            LocalState::Standby => "STANDBY",
            LocalState::WritesOnly => "WRITES_ONLY",
            LocalState::Resuming => "RESUMING",
        }
    }

    /// The state an admin path names (`/state/<path>`, lowercase as C spells it).
    pub fn from_path(path: &str) -> Option<LocalState> {
        match path {
            "normal" => Some(LocalState::Normal),
            "standby" => Some(LocalState::Standby),
            "writes_only" => Some(LocalState::WritesOnly),
            "resuming" => Some(LocalState::Resuming),
            _ => None,
        }
    }

    /// Whether a request of `access` runs in this state. Commands that touch no data (`Admin`) are
    /// refused only in `STANDBY`, like writes.
    pub fn admits(self, access: Access) -> bool {
        match self {
            LocalState::Normal => true,
            LocalState::Standby => false,
            // Mutant: a node warming up (data incomplete) answers reads.
            LocalState::WritesOnly | LocalState::Resuming if crate::mutant!(WritesOnlyServesReads) => true,
            LocalState::WritesOnly | LocalState::Resuming => access != Access::Read,
        }
    }

    /// A compact code for an atomic (index in [`LocalState::ALL`]).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The state of a [`LocalState::code`] (Normal for anything else).
    pub fn from_code(code: u8) -> LocalState {
        LocalState::ALL.get(usize::from(code)).copied().unwrap_or(LocalState::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_dynomite_rules() {
        let admitted = |state: LocalState| {
            [Access::Read, Access::Write, Access::Admin].map(|access| state.admits(access))
        };
        assert_eq!(admitted(LocalState::Normal), [true, true, true]);
        assert_eq!(admitted(LocalState::Standby), [false, false, false]);
        assert_eq!(admitted(LocalState::WritesOnly), [false, true, true]);
        assert_eq!(admitted(LocalState::Resuming), [false, true, true]);
    }

    #[test]
    fn names_paths_and_codes_round_trip() {
        for state in LocalState::ALL {
            assert_eq!(LocalState::from_code(state.code()), state);
            assert_eq!(LocalState::from_path(&state.name().to_ascii_lowercase()), Some(state));
        }
        assert_eq!(LocalState::from_path("get_state"), None);
        assert_eq!(LocalState::from_code(200), LocalState::Normal);
    }
}
