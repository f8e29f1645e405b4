//! Seed-derived fault plans for the simulator.
//!
//! A [`FaultPlan`] is a time-ordered list of [`FaultEvent`]s drawn from one seed for one [`PlanKind`]
//! (the names Netflix made famous: `monkey`, `gorilla`, `kong`, plus `partition`, `skew`, `flap` and the
//! VOPR-style `swarm`). Everything here is pure and synchronous: the same kind, shape, seed and phase
//! length always give the same plan, and every knob drawn from the seed is recorded in the plan so it can
//! be printed next to the seed. [`FaultState`] replays a plan and checks its rules (kills restarted, the
//! kind's limit of nodes down never exceeded, everything healed at the end).

mod episodes;
pub mod fault;
pub mod kind;
mod knobs;
pub mod plan;
pub mod shape;
mod skew;
pub mod state;
mod swarm;

pub use fault::{Fault, FaultEvent, ServingState};
pub use kind::{ParsePlanKindError, PlanKind};
pub use plan::{plan, FaultPlan};
pub use shape::Shape;
pub use state::{FaultState, PlanError, PlanSummary};
