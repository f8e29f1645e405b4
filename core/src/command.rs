//! command (in progress)
