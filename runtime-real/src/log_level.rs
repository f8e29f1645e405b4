//! The process's log level, changeable at runtime from the admin port (C Dynomite's
//! `/setloglevel/N`, `/loglevelup`, `/logleveldown`), on C's verbosity scale 0..=11
//! ([`crate::cli::level_for_verbosity`] maps it to a `tracing` level).
//!
//! The binary installs a [`Control`] once, after building a `tracing-subscriber` whose filter sits
//! behind a reload handle; the admin endpoints change the filter through it. The level is
//! process-wide: `dynomite local` runs every node in one process, so they share it. A process that
//! installed nothing (tests that embed a node, the simulator) answers [`LogLevelError::NotReloadable`]
//! rather than pretending to change anything.

use std::sync::{Mutex, OnceLock};

use crate::cli::MAX_VERBOSITY;

/// Replaces the active log filter with the one for a verbosity (0..=11).
pub type ApplyLevel = Box<dyn Fn(u8) -> Result<(), String> + Send + Sync>;

/// The installed reload hook and the verbosity it last applied.
pub struct Control {
    verbosity: Mutex<u8>,
    apply: ApplyLevel,
}

static CONTROL: OnceLock<Control> = OnceLock::new();

/// Why the log level did not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogLevelError {
    /// No reloadable logger in this process.
    #[error("this process has no reloadable logger, so its log level cannot change at runtime")]
    NotReloadable,
    /// The subscriber refused the new filter.
    #[error("the log filter could not be changed: {reason}")]
    Reload {
        /// What the subscriber said.
        reason: String,
    },
}

/// Installs the reload hook, with the verbosity the process started at; false if one was installed.
pub fn install(initial_verbosity: u8, apply: ApplyLevel) -> bool {
    CONTROL.set(Control { verbosity: Mutex::new(initial_verbosity.min(MAX_VERBOSITY)), apply }).is_ok()
}

/// The current verbosity; None when no hook is installed.
pub fn current() -> Option<u8> {
    let control = CONTROL.get()?;
    Some(*control.verbosity.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Sets the verbosity (clamped to 0..=11, as C's `log_level_set`); returns the new one.
pub fn set(verbosity: u8) -> Result<u8, LogLevelError> {
    change(|_| verbosity)
}

/// One step more verbose, up to 11 (C's `log_level_up`); returns the new verbosity.
pub fn up() -> Result<u8, LogLevelError> {
    change(|verbosity| verbosity.saturating_add(1))
}

/// One step less verbose, down to 0 (C's `log_level_down`); returns the new verbosity.
pub fn down() -> Result<u8, LogLevelError> {
    change(|verbosity| verbosity.saturating_sub(1))
}

fn change(next: impl FnOnce(u8) -> u8) -> Result<u8, LogLevelError> {
    let control = CONTROL.get().ok_or(LogLevelError::NotReloadable)?;
    let mut verbosity = control.verbosity.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let wanted = next(*verbosity).min(MAX_VERBOSITY);
    (control.apply)(wanted).map_err(|reason| LogLevelError::Reload { reason })?;
    *verbosity = wanted;
    Ok(wanted)
}
